//! The directory tree each fuzz run starts from, and what a run left of it.
//!
//! A run's scratch directory holds `outside.txt` and the preopen `fuzz.dir` beside it; the guest
//! sees only `fuzz.dir` (as `fuzz.dir`, fd 3). Links inside lead out of it, relatively and
//! absolutely, so a runtime that follows one out changes `outside.txt` or adds files beside it,
//! which the snapshot shows. The absolute link's target does not exist on any host, so a runtime
//! that follows it harms nothing.

use std::io;
use std::path::{Path, PathBuf};

/// The guest name and host name of the preopened directory.
pub const PREOPEN: &str = "fuzz.dir";

/// The file beside the preopen, which no run may change.
pub const OUTSIDE: (&str, &str) = (
    "outside.txt",
    "outside the preopen: no run may change this\n",
);

/// One entry of the preopen's tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// A file and its contents.
    File(&'static str, &'static str),
    /// A directory.
    Dir(&'static str),
    /// A symbolic link and its target.
    Link(&'static str, &'static str),
}

/// The preopen's tree, parents before children.
pub const ENTRIES: &[Entry] = &[
    Entry::File("file.txt", "hello, file\n"),
    Entry::Dir("dir"),
    Entry::File("dir/inner.txt", "inner\n"),
    Entry::Link("link", "file.txt"),
    Entry::Link("dir_link", "dir"),
    Entry::Link("gone", "missing.txt"),
    Entry::Link("up_link", "../outside.txt"),
    Entry::Link("abs_link", "/nonexistent-wasiport/outside.txt"),
];

/// A fresh copy of the tree in a temporary directory, removed when dropped.
///
/// ```
/// use wasiport_conformance::fuzz::Scratch;
/// let scratch = Scratch::new()?;
/// assert!(scratch.preopen().join("dir/inner.txt").is_file());
/// let before = scratch.snapshot()?;
/// std::fs::write(scratch.preopen().join("new.txt"), "x")?;
/// assert_ne!(before, scratch.snapshot()?);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    /// Makes the tree.
    pub fn new() -> io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("wasiport-fuzz-")
            .tempdir()?;
        let root = dir.path().join(PREOPEN);
        std::fs::create_dir(&root)?;
        std::fs::write(dir.path().join(OUTSIDE.0), OUTSIDE.1)?;
        for entry in ENTRIES {
            match *entry {
                Entry::File(path, contents) => std::fs::write(root.join(path), contents)?,
                Entry::Dir(path) => std::fs::create_dir(root.join(path))?,
                Entry::Link(path, target) => std::os::unix::fs::symlink(target, root.join(path))?,
            }
        }
        Ok(Scratch { dir })
    }

    /// The host directory to preopen.
    pub fn preopen(&self) -> PathBuf {
        self.dir.path().join(PREOPEN)
    }

    /// `message` with the scratch directory's path written as `<scratch>`.
    pub fn hide_path(&self, message: &str) -> String {
        message.replace(&self.dir.path().to_string_lossy().into_owned(), "<scratch>")
    }

    /// Every entry of the scratch directory, preopen and outside alike, one line each in
    /// path order: `path dir`, `path link -> target`, or `path file SIZE CONTENTS` (the
    /// contents' first 48 bytes quoted, then a hash of the whole when longer).
    pub fn snapshot(&self) -> io::Result<Vec<String>> {
        let mut lines = Vec::new();
        walk(self.dir.path(), Path::new(""), &mut lines)?;
        Ok(lines)
    }
}

fn walk(dir: &Path, relative: &Path, lines: &mut Vec<String>) -> io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = relative.join(entry.file_name());
        let shown = path.to_string_lossy();
        let ty = entry.file_type()?;
        if ty.is_symlink() {
            let target = std::fs::read_link(entry.path())?;
            lines.push(format!("{shown} link -> {}", target.to_string_lossy()));
        } else if ty.is_dir() {
            lines.push(format!("{shown} dir"));
            walk(&entry.path(), &path, lines)?;
        } else {
            let contents = std::fs::read(entry.path())?;
            let head = String::from_utf8_lossy(&contents[..contents.len().min(48)]).into_owned();
            let hash = match contents.len() > 48 {
                true => format!(" fnv1a={:016x}", fnv1a(&contents)),
                false => String::new(),
            };
            lines.push(format!("{shown} file {} {head:?}{hash}", contents.len()));
        }
    }
    Ok(())
}

/// FNV-1a, 64 bits: enough to tell two files' contents apart in a snapshot.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Whether a snapshot line is about something outside the preopen.
pub fn is_outside(line: &str) -> bool {
    !line.starts_with(&format!("{PREOPEN}/")) && !line.starts_with(&format!("{PREOPEN} "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suite_fixture_fuzz_dir_is_the_fuzzers_tree() {
        // A program `wasiport fuzz --save` wrote runs in the suite on this fixture.
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("suite-src/fixtures/fuzz.dir");
        let scratch = Scratch::new().unwrap();
        let copy = tempfile::tempdir().unwrap();
        crate::suite::copy_fixture(
            &fixture,
            &copy.path().join(PREOPEN),
            crate::suite::FixtureCopy::ForRun,
        )
        .unwrap();
        let mut lines = Vec::new();
        walk(copy.path(), Path::new(""), &mut lines).unwrap();
        let inside: Vec<String> = scratch
            .snapshot()
            .unwrap()
            .into_iter()
            .filter(|l| !is_outside(l))
            .collect();
        assert_eq!(lines, inside);
    }
}

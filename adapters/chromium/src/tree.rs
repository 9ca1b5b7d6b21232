//! A preopened directory as the browser's in-memory file system holds it: loaded from the host
//! before a run, and written back after it (read-write preopens only).
//!
//! What is round-tripped: regular files (their bytes), directories (their entries) and, where
//! the page's file system has them (preview2-shim's, for components), symbolic links with a
//! UTF-8 target (the guest's new links to an absolute path are not made on the host). What is
//! not: special files (not loaded: the guest does not see them, and write-back leaves them
//! alone), names that are not UTF-8 (likewise), modes, owners and times (new files get the
//! host's defaults; a changed file is rewritten in place).

use std::collections::BTreeMap;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Map, Value};

/// A directory's entries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Tree(BTreeMap<String, Entry>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    File(Vec<u8>),
    Dir(Tree),
    /// A symbolic link and its target.
    Link(String),
}

/// Which symbolic links a tree holds: none, or those with a UTF-8 target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Links {
    Skip,
    Load,
}

impl Tree {
    /// The regular files and directories under `dir`, and its symbolic links as `links` says.
    pub(crate) fn load(dir: &Path, links: Links) -> std::io::Result<Tree> {
        let mut entries = BTreeMap::new();
        for item in std::fs::read_dir(dir)? {
            let item = item?;
            let Ok(name) = item.file_name().into_string() else {
                continue;
            };
            let kind = item.file_type()?;
            if kind.is_file() {
                entries.insert(name, Entry::File(std::fs::read(item.path())?));
            } else if kind.is_dir() {
                entries.insert(name, Entry::Dir(Tree::load(&item.path(), links)?));
            } else if kind.is_symlink() && links == Links::Load {
                if let Some(target) = std::fs::read_link(item.path())?.to_str() {
                    entries.insert(name, Entry::Link(target.to_string()));
                }
            }
        }
        Ok(Tree(entries))
    }

    /// `{name: {"file": base64} | {"dir": {...}} | {"link": target}}`, as the page's `load`
    /// takes it.
    pub(crate) fn to_json(&self) -> Value {
        let mut map = Map::new();
        for (name, entry) in &self.0 {
            let value = match entry {
                Entry::File(bytes) => json!({"file": BASE64.encode(bytes)}),
                Entry::Dir(tree) => json!({"dir": tree.to_json()}),
                Entry::Link(target) => json!({"link": target}),
            };
            map.insert(name.clone(), value);
        }
        Value::Object(map)
    }

    /// The page's `save` of a tree.
    pub(crate) fn from_json(value: &Value) -> Result<Tree, String> {
        let map = value.as_object().ok_or("a tree is not an object")?;
        let mut entries = BTreeMap::new();
        for (name, entry) in map {
            if name.is_empty() || name == "." || name == ".." || name.contains('/') {
                return Err(format!("the page returned an entry named {name:?}"));
            }
            let entry = if let Some(file) = entry.get("file").and_then(Value::as_str) {
                Entry::File(BASE64.decode(file).map_err(|e| e.to_string())?)
            } else if let Some(dir) = entry.get("dir") {
                Entry::Dir(Tree::from_json(dir)?)
            } else if let Some(target) = entry.get("link").and_then(Value::as_str) {
                Entry::Link(target.to_string())
            } else {
                return Err(format!("{name}: neither a file, a directory nor a link"));
            };
            entries.insert(name.clone(), entry);
        }
        Ok(Tree(entries))
    }

    /// Makes `dir` (which held `self` when the run began) hold `after`: what the guest created
    /// or changed is written, what it removed is removed; but a link to an absolute path that
    /// was not there is not made (the guest's file system was never the host's). Nothing is
    /// written through a link: where the guest made an entry whose name the host holds as
    /// something it was not shown (a link in a tree loaded without links, a special file), that
    /// thing is replaced, never what it points to.
    pub(crate) fn write_back(&self, dir: &Path, after: &Tree) -> std::io::Result<()> {
        for (name, before) in &self.0 {
            if !after.0.contains_key(name) {
                remove(&dir.join(name), before)?;
            }
        }
        for (name, entry) in &after.0 {
            let path = dir.join(name);
            match (self.0.get(name), entry) {
                (Some(Entry::File(old)), Entry::File(new)) if old == new => {}
                (Some(Entry::Dir(old)), Entry::Dir(new)) => old.write_back(&path, new)?,
                (Some(Entry::Link(old)), Entry::Link(new)) if old == new => {}
                (_, Entry::Link(target)) if target.starts_with('/') => {}
                (before, Entry::Link(target)) => {
                    clear(&path, before)?;
                    std::os::unix::fs::symlink(target, &path)?;
                }
                (Some(Entry::File(_)), Entry::File(bytes)) => {
                    // A file is rewritten in place, and only if it is still a file.
                    write_file(&path, bytes, false)?;
                }
                (before, Entry::File(bytes)) => {
                    clear(&path, before)?;
                    write_file(&path, bytes, true)?;
                }
                (before, Entry::Dir(tree)) => {
                    clear(&path, before)?;
                    std::fs::create_dir(&path)?;
                    Tree::default().write_back(&path, tree)?;
                }
            }
        }
        Ok(())
    }
}

/// Makes room at `path` for a new entry: removes what was loaded there (`before`), or else
/// what the tree was not shown (a link or special file: the entry itself, not its target).
fn clear(path: &Path, before: Option<&Entry>) -> std::io::Result<()> {
    match before {
        Some(before) => remove(path, before),
        None => match path.symlink_metadata() {
            Ok(meta) if !meta.is_dir() => std::fs::remove_file(path),
            _ => Ok(()),
        },
    }
}

/// Writes `bytes` to the file at `path` without following a link there: as a new file
/// (`O_EXCL`), or over one that is still a regular file (`O_NOFOLLOW`).
fn write_file(path: &Path, bytes: &[u8], new: bool) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).custom_flags(libc::O_NOFOLLOW);
    match new {
        true => options.create_new(true),
        false => options.truncate(true),
    };
    options.open(path)?.write_all(bytes)
}

/// Removes what was loaded as `entry` at `path`; a directory that also holds what was not
/// loaded (a symbolic link, say) is left with that in it.
fn remove(path: &Path, entry: &Entry) -> std::io::Result<()> {
    match entry {
        Entry::File(_) | Entry::Link(_) => std::fs::remove_file(path),
        Entry::Dir(tree) => {
            for (name, child) in &tree.0 {
                remove(&path.join(name), child)?;
            }
            match std::fs::remove_dir(path) {
                Err(e) if e.kind() == std::io::ErrorKind::DirectoryNotEmpty => Ok(()),
                other => other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_written_back_makes_the_host_directory_hold_what_the_guest_left() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("keep/inner")).unwrap();
        std::fs::create_dir_all(root.join("gone")).unwrap();
        std::fs::write(root.join("keep/inner/a.txt"), "a").unwrap();
        std::fs::write(root.join("gone/b.txt"), "b").unwrap();
        std::fs::write(root.join("changed.txt"), "old").unwrap();
        std::os::unix::fs::symlink("changed.txt", root.join("link")).unwrap();
        let before = Tree::load(root, Links::Skip).unwrap();
        // The link is not loaded.
        assert!(!before.0.contains_key("link"));
        let mut after = Tree::from_json(&before.to_json()).unwrap();
        assert_eq!(after, before);
        after.0.remove("gone");
        after
            .0
            .insert("changed.txt".into(), Entry::File(b"new".to_vec()));
        after.0.insert(
            "made".into(),
            Entry::Dir(Tree(BTreeMap::from([(
                "c.txt".to_string(),
                Entry::File(b"c".to_vec()),
            )]))),
        );
        before.write_back(root, &after).unwrap();
        assert_eq!(Tree::load(root, Links::Skip).unwrap(), after);
        assert!(
            root.join("link").symlink_metadata().is_ok(),
            "the link is left alone"
        );
    }

    #[test]
    fn a_tree_with_links_writes_back_the_links_the_guest_made_changed_or_removed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("file.txt"), "f").unwrap();
        std::os::unix::fs::symlink("file.txt", root.join("stays")).unwrap();
        std::os::unix::fs::symlink("file.txt", root.join("changes")).unwrap();
        std::os::unix::fs::symlink("file.txt", root.join("goes")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", root.join("absolute")).unwrap();
        let before = Tree::load(root, Links::Load).unwrap();
        assert_eq!(before.0.get("stays"), Some(&Entry::Link("file.txt".into())));
        assert_eq!(
            before.0.get("absolute"),
            Some(&Entry::Link("/etc/passwd".into()))
        );
        let mut after = before.clone();
        after.0.remove("goes");
        after
            .0
            .insert("changes".into(), Entry::Link("stays".into()));
        after
            .0
            .insert("made".into(), Entry::Link("file.txt".into()));
        // The guest's new link to an absolute path is not made on the host.
        after.0.insert("escape".into(), Entry::Link("/etc".into()));
        assert_eq!(Tree::from_json(&after.to_json()).unwrap(), after);
        before.write_back(root, &after).unwrap();
        after.0.remove("escape");
        assert_eq!(Tree::load(root, Links::Load).unwrap(), after);
        assert!(root.join("goes").symlink_metadata().is_err());
        assert_eq!(
            std::fs::read_link(root.join("changes")).unwrap(),
            Path::new("stays")
        );
        assert_eq!(
            std::fs::read_link(root.join("absolute")).unwrap(),
            Path::new("/etc/passwd")
        );
    }

    #[test]
    fn an_entry_made_where_the_host_has_a_link_the_guest_never_saw_replaces_the_link_not_its_target(
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (outside, root) = (dir.path().join("outside.txt"), dir.path().join("tree"));
        std::fs::create_dir_all(root.join("dir")).unwrap();
        std::fs::write(&outside, "outside").unwrap();
        std::os::unix::fs::symlink("../outside.txt", root.join("up")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("absolute")).unwrap();
        std::os::unix::fs::symlink("dir", root.join("dir_link")).unwrap();
        std::os::unix::fs::symlink("missing.txt", root.join("dangling")).unwrap();
        let before = Tree::load(&root, Links::Skip).unwrap();
        let mut after = before.clone();
        // The guest, seeing no entries by those names, makes files and a directory there.
        for name in ["up", "absolute", "dangling"] {
            after.0.insert(name.into(), Entry::File(b"guest".to_vec()));
        }
        let inner = Tree(BTreeMap::from([("x".into(), Entry::File(b"x".to_vec()))]));
        after.0.insert("dir_link".into(), Entry::Dir(inner));
        before.write_back(&root, &after).unwrap();
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "outside");
        assert!(
            !root.join("missing.txt").exists(),
            "nothing made through a dangling link"
        );
        assert!(
            !root.join("dir/x").exists(),
            "nothing made through a directory's link"
        );
        assert_eq!(Tree::load(&root, Links::Load).unwrap(), after);
    }
}

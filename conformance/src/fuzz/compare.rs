//! Comparing a target's run of a program with the reference's, and what the specification says
//! of each difference: the first divergence, classified as mandated or implementation-defined.

use serde::Serialize;
use wasiport::portable::errno_name;

use crate::fuzz::observe::{End, Observation};
use crate::fuzz::program::{Op, Program, Value};
use crate::fuzz::tree::is_outside;

/// What differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The call returned another errno (or one succeeded where the other failed).
    Errno,
    /// Both succeeded, writing other values (a count, a size, a file type).
    Value,
    /// Both succeeded, reading other bytes.
    Data,
    /// One run ended at this call (a trap), the other went on.
    Stopped,
    /// Every call did the same, but the runs ended differently.
    End,
    /// The preopen's tree was left different.
    Tree,
    /// Something outside the preopen changed: a sandbox escape.
    Escape,
    /// The target could not run the program at all.
    Error,
}

impl Kind {
    /// The name used in reports and known-divergence files.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Errno => "errno",
            Kind::Value => "value",
            Kind::Data => "data",
            Kind::Stopped => "stopped",
            Kind::End => "end",
            Kind::Tree => "tree",
            Kind::Escape => "escape",
            Kind::Error => "error",
        }
    }
}

/// Whether the specification decides a divergence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "class", content = "why")]
pub enum Class {
    /// Preview 1 (or the POSIX behaviour it names) says what the call does: one of the two is
    /// wrong.
    Mandated,
    /// Preview 1 allows both: why.
    ImplementationDefined(&'static str),
}

/// The first thing a target did differently from the reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// The call's index, where it is a call's doing.
    pub call: Option<usize>,
    /// The call's function, or `-` for the run's end and tree.
    pub function: &'static str,
    /// What differs.
    pub kind: Kind,
    /// What the reference did (`success`, `noent`, `trap (out_of_bounds)`, `size=0000000c`).
    pub reference: String,
    /// What the target did, in the same words.
    pub observed: String,
    /// Whether the specification decides it.
    #[serde(flatten)]
    pub class: Class,
}

impl Divergence {
    /// What identifies it across programs: `function kind: reference / target`.
    pub fn signature(&self) -> String {
        format!(
            "{} {}: {} / {}",
            self.function,
            self.kind.as_str(),
            self.reference,
            self.observed
        )
    }
}

/// The first divergence of `target` from `reference` on `program`, if any.
pub fn compare(
    program: &Program,
    reference: &Observation,
    target: &Observation,
) -> Option<Divergence> {
    if let End::Failed(message) = &target.end {
        return Some(Divergence {
            call: None,
            function: "-",
            kind: Kind::Error,
            reference: reference.end.describe(),
            observed: message.clone(),
            class: Class::Mandated,
        });
    }
    for (i, op) in program.calls.iter().enumerate() {
        let (a, b) = (reference.lines.get(i), target.lines.get(i));
        let found = match (a, b) {
            (None, None) => break,
            (Some(a), Some(b)) => compare_lines(op, a, b),
            (Some(a), None) => Some((Kind::Stopped, errno_of(a), target.end.describe())),
            (None, Some(b)) => Some((Kind::Stopped, reference.end.describe(), errno_of(b))),
        };
        if let Some((kind, reference, observed)) = found {
            let class = classify(op, kind, &reference, &observed);
            return Some(Divergence {
                call: Some(i),
                function: op.function(),
                kind,
                reference,
                observed,
                class,
            });
        }
    }
    let end = |kind, reference: String, observed: String| {
        Some(Divergence {
            call: None,
            function: "-",
            kind,
            reference,
            observed,
            class: Class::Mandated,
        })
    };
    if reference.end != target.end {
        return end(Kind::End, reference.end.describe(), target.end.describe());
    }
    if reference.tree != target.tree {
        let only = |of: &[String], not_in: &[String]| {
            of.iter().find(|line| !not_in.contains(line)).cloned()
        };
        let (a, b) = (
            only(&reference.tree, &target.tree),
            only(&target.tree, &reference.tree),
        );
        let kind = match [&a, &b].into_iter().flatten().any(|line| is_outside(line)) {
            true => Kind::Escape,
            false => Kind::Tree,
        };
        let shown = |line: Option<String>| line.unwrap_or_else(|| "(nothing)".into());
        let (a, b) = (shown(a), shown(b));
        return end(kind, a, b);
    }
    None
}

/// `success` or the errno's name, from a call's line.
fn errno_of(line: &str) -> String {
    let code = line
        .split(' ')
        .nth(1)
        .and_then(|e| u16::from_str_radix(e, 16).ok());
    match code {
        Some(0) => "success".into(),
        Some(code) => errno_name(code).into(),
        None => format!("unreadable line {line:?}"),
    }
}

/// What differs between two lines of the same call, in words: the kind, the reference's side,
/// the target's side.
fn compare_lines(op: &Op, a: &str, b: &str) -> Option<(Kind, String, String)> {
    let (ea, eb) = (errno_of(a), errno_of(b));
    if ea != eb {
        return Some((Kind::Errno, ea, eb));
    }
    if ea != "success" {
        return None;
    }
    let (ta, tb): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
    let values = op.values();
    let filetype = values
        .iter()
        .position(|v| v.name() == "filetype")
        .and_then(|k| ta.get(2 + k).copied());
    for (k, value) in values.iter().enumerate() {
        let (va, vb) = (ta.get(2 + k), tb.get(2 + k));
        // A directory's size is the file system's business (POSIX: "file-type specific").
        let directory = filetype == Some("00000003") && matches!(value, Value::U64("size", _));
        if va != vb && !directory {
            let show = |v: Option<&&str>| format!("{}={}", value.name(), v.copied().unwrap_or("?"));
            return Some((Kind::Value, show(va), show(vb)));
        }
    }
    let (da, db) = (ta.get(2 + values.len()), tb.get(2 + values.len()));
    if da != db {
        let show = |d: Option<&&str>| format!("bytes {}", d.copied().unwrap_or("none"));
        return Some((Kind::Data, show(da), show(db)));
    }
    None
}

/// Why preview 1 leaves a pointer out of bounds open (as the suite's `*_out_of_bounds_is_efault`
/// tests say).
pub const OUT_OF_BOUNDS: &str = "an argument points outside the guest's memory: preview 1 \
    defines the `fault` errno but does not say that a call must return it rather than trap";

/// Why preview 1 leaves an enum argument out of its range open.
pub const ENUM_OUT_OF_RANGE: &str = "an enum argument is out of its range (`whence`, `advice`): \
    preview 1 lists the values but does not say whether another is `inval` or a trap";

/// Why preview 1 leaves the choice of errno open when both runs refused a call.
pub const ERRNO_CHOICE: &str = "both refused the call: preview 1 names its errnos \
    (`typenames.witx`) but no function says which one a failure returns, and one failure often \
    fits several (a directory where a file is wanted: isdir, badf, inval or notcapable; a path \
    leaving the preopen: perm, notcapable or noent)";

fn classify(op: &Op, kind: Kind, reference: &str, target: &str) -> Class {
    let failed = |side: &str| side != "success";
    let trap_or_error = |side: &str| side.starts_with("trap") || failed(side);
    let either_way = matches!(kind, Kind::Errno | Kind::Stopped)
        && trap_or_error(reference)
        && trap_or_error(target);
    if either_way && op.points_out_of_bounds() {
        return Class::ImplementationDefined(OUT_OF_BOUNDS);
    }
    if either_way && op.has_an_enum_out_of_range() {
        return Class::ImplementationDefined(ENUM_OUT_OF_RANGE);
    }
    // An fd never opened has one errno, `badf` ("Bad file descriptor"), unless another fd
    // argument may fail first: whichever side said another is wrong.
    if kind == Kind::Errno
        && failed(reference)
        && failed(target)
        && !op.names_only_an_fd_never_opened()
    {
        return Class::ImplementationDefined(ERRNO_CHOICE);
    }
    Class::Mandated
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::program::{Fd, Text};

    fn observation(lines: &[&str], tree: &[&str]) -> Observation {
        Observation {
            lines: lines.iter().map(|l| l.to_string()).collect(),
            end: End::Exited(0),
            tree: tree.iter().map(|l| l.to_string()).collect(),
        }
    }

    fn program() -> Program {
        let path = Text::Path(0);
        Program {
            seed: 0,
            calls: vec![Op::PathUnlinkFile {
                dir: Fd::Slot(0),
                path,
            }],
        }
    }

    #[test]
    fn a_change_outside_the_preopen_is_an_escape_and_inside_it_a_tree_divergence() {
        let reference = observation(&["00 0000"], &["fuzz.dir dir", "outside.txt file 1 \"x\""]);
        let escaped = observation(&["00 0000"], &["fuzz.dir dir", "outside.txt file 0 \"\""]);
        let d = compare(&program(), &reference, &escaped).expect("a divergence");
        assert_eq!((d.kind, d.class), (Kind::Escape, Class::Mandated));
        let inside = observation(
            &["00 0000"],
            &[
                "fuzz.dir dir",
                "fuzz.dir/new file 0 \"\"",
                "outside.txt file 1 \"x\"",
            ],
        );
        assert_eq!(
            compare(&program(), &reference, &inside).map(|d| d.kind),
            Some(Kind::Tree)
        );
    }

    #[test]
    fn errnos_are_compared_before_values_and_a_directory_size_is_not_compared() {
        let stat = Program {
            seed: 0,
            calls: vec![Op::FdFilestatGet { fd: Fd::Slot(0) }],
        };
        let dir = |size: &str| observation(&[&format!("00 0000 00000003 {size}")], &[]);
        assert_eq!(compare(&stat, &dir("00001000"), &dir("00000000")), None);
        let file = |size: &str| observation(&[&format!("00 0000 00000004 {size}")], &[]);
        let d = compare(&stat, &file("0000000c"), &file("00000000")).expect("sizes differ");
        assert_eq!(
            d.signature(),
            "fd_filestat_get value: size=0000000c / size=00000000"
        );
        let failed = observation(&["00 0008 00000000 00000000"], &[]);
        let d = compare(&stat, &file("0000000c"), &failed).expect("errnos differ");
        assert_eq!(d.signature(), "fd_filestat_get errno: success / badf");
    }

    #[test]
    fn both_refusing_is_a_choice_of_errno_unless_the_fd_was_never_opened() {
        let two = |fd| Program {
            seed: 0,
            calls: vec![Op::FdSync { fd }],
        };
        let (a, b) = (
            observation(&["00 0008"], &[]),
            observation(&["00 001c"], &[]),
        );
        let open = compare(&two(Fd::Slot(0)), &a, &b).expect("errnos differ");
        assert_eq!(open.class, Class::ImplementationDefined(ERRNO_CHOICE));
        let never = compare(&two(Fd::Raw(crate::fuzz::NOT_OPEN)), &a, &b).expect("errnos differ");
        assert_eq!(never.class, Class::Mandated);
    }
}

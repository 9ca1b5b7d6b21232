//! Where the guest's standard streams come from and go to.

/// The guest's standard input.
///
/// ```
/// use wasiport::Stdin;
/// assert_eq!(Stdin::default(), Stdin::Empty);
/// let s = Stdin::Bytes(b"line\n".to_vec());
/// # let _ = s;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Stdin {
    /// Reads return end-of-file at once.
    #[default]
    Empty,
    /// Reads return these bytes, then end-of-file.
    Bytes(Vec<u8>),
    /// Reads come from the host process's stdin.
    Inherit,
}

/// What happens to what the guest writes to stdout or stderr.
///
/// ```
/// use wasiport::OutputMode;
/// assert_eq!(OutputMode::default(), OutputMode::Capture { limit: OutputMode::DEFAULT_CAPTURE_LIMIT });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// Kept in the [`Outcome`](crate::Outcome), up to `limit` bytes. Writes past the limit
    /// still succeed for the guest; the bytes are dropped and the outcome says it was truncated.
    Capture {
        /// The most bytes kept.
        limit: usize,
    },
    /// Written to the host process's own stream.
    Inherit,
    /// Accepted and thrown away.
    Discard,
}

impl OutputMode {
    /// The capture limit used by default: 16 MiB.
    pub const DEFAULT_CAPTURE_LIMIT: usize = 16 << 20;
}

impl Default for OutputMode {
    fn default() -> Self {
        OutputMode::Capture {
            limit: Self::DEFAULT_CAPTURE_LIMIT,
        }
    }
}

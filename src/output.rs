//! Where a run's guest output goes while it runs: a sink per stream (captured, the host's,
//! or nowhere), and the [`OutputStreams`] of a run that become its
//! [`Outcome`](crate::Outcome). For adapters.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::{Outcome, OutputMode, RunConfig, Termination, TraceLog};

#[derive(Debug, Default)]
struct Captured {
    bytes: Vec<u8>,
    limit: usize,
    truncated: bool,
}

/// A shared in-memory buffer that keeps the first `limit` bytes written to it and notes whether
/// more came. Writes always succeed in full, so a guest is never told its output failed.
///
/// ```
/// use std::io::Write;
/// use wasiport::output::CaptureBuffer;
/// let buf = CaptureBuffer::new(4);
/// let mut writer = buf.clone();
/// writer.write_all(b"hello")?;
/// assert_eq!(buf.contents(), (b"hell".to_vec(), true));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct CaptureBuffer(Arc<Mutex<Captured>>);

impl CaptureBuffer {
    /// An empty buffer that keeps at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        CaptureBuffer(Arc::new(Mutex::new(Captured {
            bytes: Vec::new(),
            limit,
            truncated: false,
        })))
    }

    /// Appends what fits under the limit.
    pub fn push(&self, data: &[u8]) {
        let mut c = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let room = c.limit.saturating_sub(c.bytes.len());
        if data.len() > room {
            c.truncated = true;
        }
        let keep = data.len().min(room);
        c.bytes.extend_from_slice(&data[..keep]);
    }

    /// The bytes kept so far, and whether any were dropped.
    pub fn contents(&self) -> (Vec<u8>, bool) {
        let c = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        (c.bytes.clone(), c.truncated)
    }

    /// Moves the bytes kept so far out of the buffer (leaving it empty, with room for `limit`
    /// bytes again), and whether any were dropped.
    ///
    /// ```
    /// use wasiport::output::CaptureBuffer;
    /// let buf = CaptureBuffer::new(4);
    /// buf.push(b"hi");
    /// assert_eq!(buf.take(), (b"hi".to_vec(), false));
    /// assert_eq!(buf.contents(), (Vec::new(), false));
    /// ```
    pub fn take(&self) -> (Vec<u8>, bool) {
        let mut c = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        (
            std::mem::take(&mut c.bytes),
            std::mem::replace(&mut c.truncated, false),
        )
    }
}

impl Write for CaptureBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.push(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Which standard stream an [`OutputSink`] stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// A writer for one of the guest's output streams, made from its [`OutputMode`]: a
/// [`CaptureBuffer`], the host's own stream, or nowhere.
///
/// ```
/// use std::io::Write;
/// use wasiport::{output::{OutputSink, StdStream}, OutputMode};
/// let sink = OutputSink::new(OutputMode::Capture { limit: 10 }, StdStream::Stdout);
/// sink.clone().write_all(b"hi")?;
/// // Through a shared reference too, every buffer of a vectored write at once.
/// let parts = [std::io::IoSlice::new(b", "), std::io::IoSlice::new(b"you")];
/// assert_eq!((&sink).write_vectored(&parts)?, 5);
/// assert_eq!(sink.captured(), (b"hi, you".to_vec(), false));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub enum OutputSink {
    /// Kept in memory.
    Capture(CaptureBuffer),
    /// Written to the host's stream.
    Inherit(StdStream),
    /// Thrown away.
    Discard,
}

impl OutputSink {
    /// The sink for `mode` on `stream`.
    pub fn new(mode: OutputMode, stream: StdStream) -> Self {
        match mode {
            OutputMode::Capture { limit } => OutputSink::Capture(CaptureBuffer::new(limit)),
            OutputMode::Inherit => OutputSink::Inherit(stream),
            OutputMode::Discard => OutputSink::Discard,
        }
    }

    /// What was captured (empty unless capturing), and whether it was cut.
    pub fn captured(&self) -> (Vec<u8>, bool) {
        match self {
            OutputSink::Capture(buf) => buf.contents(),
            _ => (Vec::new(), false),
        }
    }

    /// [`captured`](OutputSink::captured), moved out of the sink rather than copied.
    pub fn take_captured(&self) -> (Vec<u8>, bool) {
        match self {
            OutputSink::Capture(buf) => buf.take(),
            _ => (Vec::new(), false),
        }
    }
}

/// Written through a shared reference, as `&File` is: every kind of sink can be.
impl Write for &OutputSink {
    /// Writes every buffer (the default would write only the first).
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let total = bufs.iter().map(|b| b.len()).sum();
        match self {
            OutputSink::Capture(c) => {
                for buf in bufs {
                    c.push(buf);
                }
                Ok(total)
            }
            OutputSink::Inherit(StdStream::Stdout) => io::stdout().write_vectored(bufs),
            OutputSink::Inherit(StdStream::Stderr) => io::stderr().write_vectored(bufs),
            OutputSink::Discard => Ok(total),
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            OutputSink::Capture(c) => {
                c.push(buf);
                Ok(buf.len())
            }
            OutputSink::Inherit(StdStream::Stdout) => io::stdout().write(buf),
            OutputSink::Inherit(StdStream::Stderr) => io::stderr().write(buf),
            OutputSink::Discard => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            OutputSink::Inherit(StdStream::Stdout) => io::stdout().flush(),
            OutputSink::Inherit(StdStream::Stderr) => io::stderr().flush(),
            _ => Ok(()),
        }
    }
}

impl Write for OutputSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self).flush()
    }
}

/// The guest's stdout and stderr for one run, made from a [`RunConfig`]; at the end of the run
/// they give the [`Outcome`].
///
/// ```
/// use std::{io::Write, time::Duration};
/// use wasiport::{output::OutputStreams, RunConfig, Termination};
/// let streams = OutputStreams::new(&RunConfig::default());
/// streams.stdout.clone().write_all(b"hi")?;
/// let outcome = streams.outcome(Termination::Exited(0), Duration::from_millis(1), Some(10));
/// assert_eq!(outcome.stdout, b"hi");
/// assert_eq!(outcome.fuel_consumed, Some(10));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct OutputStreams {
    /// The guest's stdout.
    pub stdout: OutputSink,
    /// The guest's stderr.
    pub stderr: OutputSink,
    /// Where the WASI calls go when the run is traced.
    pub trace: Option<TraceLog>,
}

impl OutputStreams {
    /// The sinks `config` asks for.
    pub fn new(config: &RunConfig) -> Self {
        OutputStreams {
            stdout: OutputSink::new(config.stdout(), StdStream::Stdout),
            stderr: OutputSink::new(config.stderr(), StdStream::Stderr),
            trace: config.trace().then(TraceLog::new),
        }
    }

    /// Flushes the streams that go to the host's own stdout and stderr.
    pub fn flush(&self) {
        for mut sink in [&self.stdout, &self.stderr] {
            if let OutputSink::Inherit(_) = sink {
                // A host stream that cannot be flushed has nowhere to report it either.
                let _ = sink.flush();
            }
        }
    }

    /// The outcome of the run, with what was captured: the captured bytes and the trace move
    /// into it (the run is over, so nothing is copied).
    pub fn outcome(
        self,
        termination: Termination,
        elapsed: Duration,
        fuel_consumed: Option<u64>,
    ) -> Outcome {
        let (stdout, stdout_truncated) = self.stdout.take_captured();
        let (stderr, stderr_truncated) = self.stderr.take_captured();
        Outcome {
            termination,
            stdout,
            stderr,
            stdout_truncated,
            stderr_truncated,
            elapsed,
            fuel_consumed,
            trace: self.trace.as_ref().map(TraceLog::take).unwrap_or_default(),
        }
    }
}

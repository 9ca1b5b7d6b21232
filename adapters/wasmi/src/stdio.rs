//! The guest's stdout and stderr as wasi-common files over an [`OutputSink`].
//!
//! wasi-common's `WritePipe` would put the sink behind an `Arc<RwLock>` of its own; the sink is
//! already shared (the outcome reads it), so it is a file by itself: one allocation less per
//! stream and run.

use std::any::Any;
use std::io::{IoSlice, Write};

use wasi_common::file::{FdFlags, FileType, WasiFile};
use wasi_common::Error;
use wasiport::output::OutputSink;

/// A write-only pipe into an [`OutputSink`]; every write succeeds in full (a capture past its
/// limit drops the rest, as the API promises).
pub(crate) struct SinkFile(pub(crate) OutputSink);

#[wiggle::async_trait]
impl WasiFile for SinkFile {
    fn as_any(&self) -> &dyn Any {
        self
    }

    async fn get_filetype(&self) -> Result<FileType, Error> {
        Ok(FileType::Pipe)
    }

    async fn get_fdflags(&self) -> Result<FdFlags, Error> {
        Ok(FdFlags::APPEND)
    }

    async fn write_vectored<'a>(&self, bufs: &[IoSlice<'a>]) -> Result<u64, Error> {
        let n = (&self.0).write_vectored(bufs)?;
        Ok(n.try_into()?)
    }
}

//! One value per program path, for the life of the host process.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// Values made once per program (the `node` or `chromium` a backend runs) and shared by every
/// backend of the host process that names it: each adapter keeps its engine, and so its warm
/// runner, in a `static` of these.
///
/// ```
/// use wasiport_v8::PerProgram;
/// static NAMES: PerProgram<String> = PerProgram::new();
/// let a = NAMES.get_or_make("node".as_ref(), || Ok::<_, ()>("made once".to_string()))?;
/// let b = NAMES.get_or_make("node".as_ref(), || Err(()))?;
/// assert!(std::sync::Arc::ptr_eq(&a, &b));
/// # Ok::<(), ()>(())
/// ```
#[derive(Debug)]
pub struct PerProgram<T>(Mutex<Vec<(PathBuf, Arc<T>)>>);

impl<T> PerProgram<T> {
    /// None made yet.
    pub const fn new() -> Self {
        PerProgram(Mutex::new(Vec::new()))
    }

    /// The value for `program`, made by `make` the first time it is asked for (a failure is
    /// not kept: the next call tries again).
    pub fn get_or_make<E>(
        &self,
        program: &Path,
        make: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        let mut made = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, value)) = made.iter().find(|(p, _)| p == program) {
            return Ok(value.clone());
        }
        let value = Arc::new(make()?);
        made.push((program.to_path_buf(), value.clone()));
        Ok(value)
    }
}

impl<T> Default for PerProgram<T> {
    fn default() -> Self {
        PerProgram::new()
    }
}

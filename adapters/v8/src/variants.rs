//! A module as a JavaScript runner knows it: by an id, one variant per memory cap.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use wasiport::{Error, RunConfig};

/// The module's bytes as one runner compiles them, and the id it keeps them under.
#[derive(Debug, Clone)]
pub struct Variant {
    /// The memory cap in bytes this variant has, if any.
    pub cap: Option<u64>,
    /// Whether it counts fuel ([`wasiport::rewrite::meter`]).
    pub metered: bool,
    /// The runner's id for it, unique in this host process.
    pub id: u64,
    /// The bytes: the module's own, or with its memory's maximum lowered to the cap.
    pub wasm: Arc<[u8]>,
}

/// The variants of one module: a JavaScript engine has no memory limit and no fuel of its own,
/// so a run with a cap runs the module rewritten by [`wasiport::rewrite::limit_memory`], and one
/// with a fuel budget the module rewritten by [`wasiport::rewrite::meter`], each made the first
/// time a run asks for it.
///
/// ```
/// let variants = wasiport_v8::Variants::new(&wat::parse_str(r#"(module (memory 1))"#)?);
/// let plain = variants.get(None, false)?;
/// let capped = variants.get(Some(2 * 65536), false)?;
/// assert_ne!(plain.id, capped.id);
/// assert_eq!(variants.get(Some(2 * 65536), false)?.id, capped.id);
/// assert!(variants.get(Some(2 * 65536), true)?.wasm.len() > capped.wasm.len());
/// assert_eq!(variants.ids().len(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Variants {
    wasm: Arc<[u8]>,
    made: Mutex<Vec<Variant>>,
}

impl Variants {
    /// The variants of `wasm` (none made yet).
    pub fn new(wasm: &[u8]) -> Variants {
        Variants {
            wasm: wasm.into(),
            made: Mutex::new(Vec::new()),
        }
    }

    /// The variant for a memory cap of `cap` bytes (or none), metered or not. Fails, with the
    /// reason, when the module cannot be rewritten.
    pub fn get(&self, cap: Option<u64>, metered: bool) -> Result<Variant, String> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(v) = made.iter().find(|v| v.cap == cap && v.metered == metered) {
            return Ok(v.clone());
        }
        let mut wasm = self.wasm.clone();
        if let Some(bytes) = cap {
            wasm = wasiport::rewrite::limit_memory(&wasm, bytes)?.into();
        }
        if metered {
            wasm = wasiport::rewrite::meter(&wasm)?.into();
        }
        let variant = Variant {
            cap,
            metered,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            wasm,
        };
        made.push(variant.clone());
        Ok(variant)
    }

    /// The variant a run with `config`'s limits runs (capped, metered), or the module's
    /// [`Error::InvalidModule`] when it cannot be rewritten.
    pub fn for_run(&self, backend: &'static str, config: &RunConfig) -> Result<Variant, Error> {
        let limits = config.limits();
        self.get(limits.max_memory_bytes, limits.fuel.is_some())
            .map_err(|message| Error::InvalidModule { backend, message })
    }

    /// The ids of every variant made, for telling the runner to forget them.
    pub fn ids(&self) -> Vec<u64> {
        let made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        made.iter().map(|v| v.id).collect()
    }
}

//! A module's rewritten forms, made once each: one per memory cap and metering.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::{limit_memory, meter, Metering};

/// The module's bytes as one run needs them, and an id for engines that keep compiled modules
/// by id.
#[derive(Debug, Clone)]
pub struct Variant {
    /// The memory cap in bytes this variant has, if any.
    pub cap: Option<u64>,
    /// How it counts fuel ([`meter`]), if it does.
    pub metering: Option<Metering>,
    /// Unique in this host process: the id a runner in another process may know it by.
    pub id: u64,
    /// The bytes: the module's own, or with its memory's maximum lowered to the cap, or metered.
    pub wasm: Arc<[u8]>,
}

/// The variants of one module, for a backend whose engine lacks a memory limit or fuel of its
/// own: a run with a cap runs the module rewritten by [`limit_memory`], one that needs metering
/// the module rewritten by [`meter`], each made the first time a run asks for it.
///
/// ```
/// use wasiport::rewrite::{Metering, Variants};
/// let variants = Variants::new(&wat::parse_str(r#"(module (memory 1))"#)?);
/// let plain = variants.get(None, None)?;
/// let capped = variants.get(Some(2 * 65536), None)?;
/// assert_ne!(plain.id, capped.id);
/// assert_eq!(variants.get(Some(2 * 65536), None)?.id, capped.id);
/// assert!(variants.get(Some(2 * 65536), Some(Metering::Trap))?.wasm.len() > capped.wasm.len());
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

    /// The variant for a memory cap of `cap` bytes (or none), metered as `metering` says (or
    /// not). Fails, with the reason, when the module cannot be rewritten.
    pub fn get(&self, cap: Option<u64>, metering: Option<Metering>) -> Result<Variant, String> {
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(v) = made.iter().find(|v| v.cap == cap && v.metering == metering) {
            return Ok(v.clone());
        }
        let mut wasm = self.wasm.clone();
        if let Some(bytes) = cap {
            wasm = limit_memory(&wasm, bytes)?.into();
        }
        if let Some(metering) = metering {
            wasm = meter(&wasm, metering)?.into();
        }
        let variant = Variant {
            cap,
            metering,
            id: Variants::new_id(),
            wasm,
        };
        made.push(variant.clone());
        Ok(variant)
    }

    /// The variant a run with `config`'s memory cap runs, metered as `metering` says, or
    /// `backend`'s [`Error::InvalidModule`](crate::Error::InvalidModule) when the module cannot
    /// be rewritten.
    pub fn for_run(
        &self,
        backend: &'static str,
        config: &crate::RunConfig,
        metering: Option<Metering>,
    ) -> Result<Variant, crate::Error> {
        self.get(config.limits().max_memory_bytes, metering)
            .map_err(|message| crate::Error::InvalidModule { backend, message })
    }

    /// An id that no other variant of this host process has: for the variants a backend makes
    /// of its own (of a component's core modules, say) beside these, in one runner.
    ///
    /// ```
    /// assert_ne!(wasiport::rewrite::Variants::new_id(), wasiport::rewrite::Variants::new_id());
    /// ```
    pub fn new_id() -> u64 {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        NEXT_ID.fetch_add(1, Ordering::Relaxed)
    }

    /// The ids of every variant made, for telling a runner to forget them.
    pub fn ids(&self) -> Vec<u64> {
        let made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        made.iter().map(|v| v.id).collect()
    }
}

//! A component's core modules, as jco transpiled them, rewritten for a run's memory cap and
//! fuel: V8 has neither, and jco's glue instantiates the core modules one by one through a hook
//! the runners fill (`js/command.mjs`'s `runCommand`), which gives every one of them the run's
//! one fuel counter.

use std::sync::{Arc, Mutex, PoisonError};

use wasiport::rewrite::{limit_memory, meter_sharing, Variant, Variants};
use wasiport::{Error, RunConfig};

use crate::Transpiled;

/// A component's core modules as the runs with one memory cap and one metering need them.
#[derive(Debug, Clone)]
pub struct CoreVariant {
    /// The memory cap in bytes each memory the core modules define has, if any.
    pub cap: Option<u64>,
    /// Whether the core modules count fuel, in one counter they all import
    /// ([`FUEL_IMPORT`](wasiport::rewrite::FUEL_IMPORT)).
    pub metered: bool,
    /// Unique in this host process, among [`Variants`]' ids too: the id a runner knows it by.
    pub id: u64,
    /// The core modules, `(file name, bytes)`, in jco's order.
    pub cores: Arc<[(String, Vec<u8>)]>,
}

/// The rewritten core modules of one component, each set made the first time a run asks for it.
///
/// ```
/// use wasiport::RunConfig;
/// use wasiport_v8::{CoreVariants, Transpiled};
/// let core = wat::parse_str(r#"(module (memory 1) (func (export "f")))"#)?;
/// let transpiled = || Ok(Transpiled { glue: String::new(), cores: vec![("c.core.wasm".into(), core.clone())] });
/// let variants = CoreVariants::default();
/// // A run with neither a cap nor fuel runs the cores jco made.
/// assert!(variants.for_run("toy", &RunConfig::default(), transpiled)?.is_none());
/// let capped = RunConfig::builder().max_memory_bytes(2 * 65536).fuel(10).build()?;
/// let variant = variants.for_run("toy", &capped, transpiled)?.unwrap();
/// let printed = wasmprinter::print_bytes(&variant.cores[0].1)?;
/// assert!(printed.contains("(memory (;0;) 1 2)") && printed.contains(r#"(import "wasiport" "fuel""#), "{printed}");
/// assert_eq!(variants.for_run("toy", &capped, transpiled)?.unwrap().id, variant.id);
/// assert_eq!(variants.ids(), vec![variant.id]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct CoreVariants {
    made: Mutex<Vec<CoreVariant>>,
}

impl CoreVariants {
    /// The core modules a run with `config`'s memory cap and fuel budget runs: those of
    /// `transpiled()` (called only when a set is made) with each memory's maximum lowered to the
    /// cap and metered with one shared counter ([`meter_sharing`]); `None` for a run with
    /// neither, which runs jco's own. `backend`'s [`Error::InvalidModule`] when a core module
    /// cannot be rewritten or the component not transpiled.
    pub fn for_run(
        &self,
        backend: &'static str,
        config: &RunConfig,
        transpiled: impl FnOnce() -> Result<Transpiled, String>,
    ) -> Result<Option<CoreVariant>, Error> {
        let cap = config.limits().max_memory_bytes;
        let metered = config.limits().fuel.is_some();
        if cap.is_none() && !metered {
            return Ok(None);
        }
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(v) = made.iter().find(|v| v.cap == cap && v.metered == metered) {
            return Ok(Some(v.clone()));
        }
        let invalid = |message| Error::InvalidModule { backend, message };
        let mut cores = transpiled().map_err(invalid)?.cores;
        for (name, wasm) in &mut cores {
            let within = |e: String| invalid(format!("{name}: {e}"));
            if let Some(bytes) = cap {
                *wasm = limit_memory(wasm, bytes).map_err(within)?;
            }
            if metered {
                *wasm = meter_sharing(wasm).map_err(within)?;
            }
        }
        let variant = CoreVariant {
            cap,
            metered,
            id: Variants::new_id(),
            cores: cores.into(),
        };
        made.push(variant.clone());
        Ok(Some(variant))
    }

    /// The ids of every set made, for telling a runner to forget them.
    pub fn ids(&self) -> Vec<u64> {
        let made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        made.iter().map(|v| v.id).collect()
    }
}

/// What one run of a compiled module or component runs: a module's variant for the run's memory
/// cap and fuel ([`metering`](crate::metering)); or, for a component (`cores` given), its own
/// bytes with its core modules rewritten for them, made from `transpiled(component bytes)` the
/// first time. The runner knows it by [`RunVariant::id`].
///
/// ```
/// use wasiport::{rewrite::Variants, RunConfig};
/// let variants = Variants::new(&wat::parse_str("(module (memory 1))")?);
/// let config = RunConfig::builder().fuel(10).build()?;
/// let run = wasiport_v8::run_variant("toy", &variants, None, |_| unreachable!(), &config)?;
/// assert!(run.cores.is_none() && run.variant.metering.is_some());
/// assert_eq!(run.id(), run.variant.id);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_variant(
    backend: &'static str,
    variants: &Variants,
    cores: Option<&CoreVariants>,
    transpiled: impl FnOnce(&[u8]) -> Result<Transpiled, String>,
    config: &RunConfig,
) -> Result<RunVariant, Error> {
    Ok(match cores {
        None => RunVariant {
            variant: variants.for_run(backend, config, crate::metering(config))?,
            cores: None,
        },
        Some(cores) => {
            let variant = variants.for_run(backend, &RunConfig::default(), None)?;
            let cores = cores.for_run(backend, config, || transpiled(&variant.wasm))?;
            RunVariant { variant, cores }
        }
    })
}

/// What [`run_variant`] chose.
#[derive(Debug, Clone)]
pub struct RunVariant {
    /// The module's variant (a component's: its own bytes).
    pub variant: Variant,
    /// A component's core modules rewritten for the run, if it needs them rewritten.
    pub cores: Option<CoreVariant>,
}

impl RunVariant {
    /// The id the runner knows what is run by: the rewritten core modules', else the variant's.
    pub fn id(&self) -> u64 {
        self.cores.as_ref().map_or(self.variant.id, |c| c.id)
    }
}

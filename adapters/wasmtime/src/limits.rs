//! A run's memory cap, for the state of a module's store and a component's alike.

use std::time::Instant;

use wasiport::RunConfig;
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};

/// A store's state that holds the run's limits.
pub(crate) trait Limited: Send + 'static {
    fn limits(&mut self) -> &mut RunLimits;
}

/// wasmtime's store limits for the run's memory cap, noting a memory refused before the guest
/// started: a memory whose initial size is over the cap, which a component (whose core modules
/// wasiport does not read) only shows when it is instantiated.
pub(crate) struct RunLimits {
    limits: StoreLimits,
    started: bool,
    refused_before_start: bool,
    /// When the run (or an instance's call) must stop: the epoch callback checks it.
    pub deadline: Option<Instant>,
}

impl RunLimits {
    /// The limits of a run with `config`'s memory cap.
    pub fn new(config: &RunConfig) -> Self {
        let mut limits = StoreLimitsBuilder::new();
        if let Some(bytes) = config.limits().max_memory_bytes {
            limits = limits.memory_size(usize::try_from(bytes).unwrap_or(usize::MAX));
        }
        RunLimits {
            limits: limits.build(),
            started: false,
            refused_before_start: false,
            deadline: None,
        }
    }

    /// The guest is instantiated: a memory refused from now on is a `memory.grow` that fails.
    pub fn start(&mut self) {
        self.started = true;
    }

    /// Whether the guest is instantiated ([`RunLimits::start`] was called).
    pub fn started(&self) -> bool {
        self.started
    }

    /// Whether a memory was refused while the guest was being instantiated.
    pub fn refused_before_start(&self) -> bool {
        self.refused_before_start
    }
}

impl ResourceLimiter for RunLimits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        if !allowed && !self.started {
            self.refused_before_start = true;
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

//! A memory cap for wasmer: `Tunables` that clamp every linear memory's maximum, so that
//! `memory.grow` past the cap returns -1 (wasmer has no store limiter).

use std::ptr::NonNull;

use wasmer::sys::vm::{VMConfig, VMMemory, VMMemoryDefinition, VMTable, VMTableDefinition};
use wasmer::sys::{BaseTunables, Tunables};
use wasmer::{MemoryError, MemoryStyle, MemoryType, Pages, TableStyle, TableType};

pub(crate) struct LimitingTunables {
    base: BaseTunables,
    max: Pages,
    vmconfig: VMConfig,
}

impl LimitingTunables {
    /// Caps each memory at `max_bytes`, rounded down to whole 64 KiB pages.
    pub(crate) fn new(max_bytes: u64) -> Self {
        let pages = (max_bytes / u64::from(wasmer::WASM_PAGE_SIZE as u32)).min(65536);
        LimitingTunables {
            base: BaseTunables::new(),
            max: Pages(pages as u32),
            vmconfig: VMConfig {
                wasm_stack_size: None,
            },
        }
    }

    fn clamp(&self, ty: &MemoryType) -> Result<MemoryType, MemoryError> {
        if ty.minimum > self.max {
            return Err(MemoryError::MinimumMemoryTooLarge {
                min_requested: ty.minimum,
                max_allowed: self.max,
            });
        }
        let mut clamped = *ty;
        clamped.maximum = Some(ty.maximum.map_or(self.max, |m| m.min(self.max)));
        Ok(clamped)
    }
}

impl Tunables for LimitingTunables {
    fn memory_style(&self, memory: &MemoryType) -> MemoryStyle {
        self.base.memory_style(memory)
    }

    fn table_style(&self, table: &TableType) -> TableStyle {
        self.base.table_style(table)
    }

    fn create_host_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
    ) -> Result<VMMemory, MemoryError> {
        self.base.create_host_memory(&self.clamp(ty)?, style)
    }

    unsafe fn create_vm_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        vm_definition_location: NonNull<VMMemoryDefinition>,
    ) -> Result<VMMemory, MemoryError> {
        let ty = self.clamp(ty)?;
        // SAFETY: forwarded unchanged from wasmer, which upholds the contract of this method.
        unsafe {
            self.base
                .create_vm_memory(&ty, style, vm_definition_location)
        }
    }

    fn create_host_table(&self, ty: &TableType, style: &TableStyle) -> Result<VMTable, String> {
        self.base.create_host_table(ty, style)
    }

    unsafe fn create_vm_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
        vm_definition_location: NonNull<VMTableDefinition>,
    ) -> Result<VMTable, String> {
        // SAFETY: forwarded unchanged from wasmer, which upholds the contract of this method.
        unsafe { self.base.create_vm_table(ty, style, vm_definition_location) }
    }

    fn vmconfig(&self) -> &VMConfig {
        &self.vmconfig
    }
}

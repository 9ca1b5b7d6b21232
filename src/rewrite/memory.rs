//! A memory cap as the module's own memory maximum.

use wasm_encoder::{MemorySection, MemoryType, Module, RawSection};
use wasmparser::{Parser, Payload};

/// `wasm` with the maximum of each memory it defines lowered to at most `max_bytes` (in whole
/// pages of that memory's page size). Memories with a smaller maximum keep theirs.
///
/// Fails when the module cannot be parsed, or when a memory's initial size is already over the
/// cap (the run should end with [`Termination::MemoryLimit`](crate::Termination::MemoryLimit)
/// before it starts: [`preflight::preflight`](crate::preflight::preflight) says so).
///
/// ```
/// use wasiport::{rewrite::limit_memory, ModuleInfo};
/// let wasm = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)?;
/// let capped = limit_memory(&wasm, 4 * 65536 + 100)?;
/// let printed = wasmprinter::print_bytes(&capped)?;
/// assert!(printed.contains("(memory (;0;) 1 4)"), "{printed}");
/// // Nothing else changed.
/// assert_eq!(ModuleInfo::parse(&capped)?, ModuleInfo::parse(&wasm)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn limit_memory(wasm: &[u8], max_bytes: u64) -> Result<Vec<u8>, String> {
    let mut module = Module::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| e.to_string())?;
        if let Payload::MemorySection(reader) = &payload {
            let mut memories = MemorySection::new();
            for memory in reader.clone() {
                let memory = memory.map_err(|e| e.to_string())?;
                let cap = max_bytes >> memory.page_size_log2.unwrap_or(16);
                if memory.initial > cap {
                    return Err(format!(
                        "a memory's initial size ({} pages) is over the cap of {max_bytes} bytes",
                        memory.initial
                    ));
                }
                memories.memory(MemoryType {
                    minimum: memory.initial,
                    maximum: Some(memory.maximum.map_or(cap, |m| m.min(cap))),
                    memory64: memory.memory64,
                    shared: memory.shared,
                    page_size_log2: memory.page_size_log2,
                });
            }
            module.section(&memories);
        } else if let Some((id, range)) = payload.as_section() {
            module.section(&RawSection {
                id,
                data: &wasm[range],
            });
        }
    }
    Ok(module.finish())
}

//! A module's start function as an export, for the host to call after instantiation.

use std::convert::Infallible;

use wasm_encoder::reencode::{utils, RoundtripReencoder};
use wasm_encoder::{ExportKind, ExportSection, Module, RawSection};
use wasmparser::{Parser, Payload};

/// The export name [`start_as_export`] gives a module's start function.
pub const START_EXPORT: &str = "wasiport:start";

/// `wasm` without a start section, its start function exported as [`START_EXPORT`] instead: the
/// host instantiates the module, then calls that export as it calls any other, with the limits
/// of a call (an engine whose instantiation cannot be interrupted runs the start function where
/// a timeout can stop it). Data and element segments are in place before it runs, as they are
/// for a start function. A module without a start function is returned as it is.
///
/// ```
/// use wasiport::rewrite::{start_as_export, START_EXPORT};
/// let wasm = wat::parse_str(r#"(module (func $init) (start $init) (func (export "f")))"#)?;
/// let moved = wasmprinter::print_bytes(start_as_export(&wasm)?)?;
/// assert!(!moved.contains("(start"), "{moved}");
/// assert!(moved.contains(&format!(r#"(export "{START_EXPORT}" (func $init))"#)), "{moved}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn start_as_export(wasm: &[u8]) -> Result<Vec<u8>, String> {
    let mut start = None;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::StartSection { func, .. } => start = Some(func),
            Payload::ExportSection(reader) => {
                for export in reader {
                    if export.map_err(|e| e.to_string())?.name == START_EXPORT {
                        return Err(format!("the module already exports `{START_EXPORT}`"));
                    }
                }
            }
            _ => {}
        }
    }
    let Some(start) = start else {
        return Ok(wasm.to_vec());
    };
    let export = |exports: &mut ExportSection| {
        exports.export(START_EXPORT, ExportKind::Func, start);
    };
    let mut module = Module::new();
    let mut exported = false;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| e.to_string())?;
        match &payload {
            Payload::ExportSection(reader) => {
                let mut exports = ExportSection::new();
                utils::parse_export_section(&mut RoundtripReencoder, &mut exports, reader.clone())
                    .map_err(|e: wasm_encoder::reencode::Error<Infallible>| e.to_string())?;
                export(&mut exports);
                module.section(&exports);
                exported = true;
            }
            Payload::StartSection { .. } => {
                if !exported {
                    let mut exports = ExportSection::new();
                    export(&mut exports);
                    module.section(&exports);
                    exported = true;
                }
            }
            _ => {
                if let Some((id, range)) = payload.as_section() {
                    module.section(&RawSection {
                        id,
                        data: &wasm[range],
                    });
                }
            }
        }
    }
    // The start section's place is right after the export section's, so a module without
    // exports got its one there.
    Ok(module.finish())
}

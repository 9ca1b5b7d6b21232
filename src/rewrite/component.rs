//! A preview-1 command module as a WASI 0.2 command component.

use wit_component::ComponentEncoder;

/// `wasm`, a `wasi_snapshot_preview1` command module, wrapped into a `wasi:cli/command`
/// component with the preview-1 adapter that wasmtime 48 ships
/// (`wasi-preview1-component-adapter-provider`): its preview-1 calls become WASI 0.2 calls, so
/// a preview-1 program measures a component host's WASI 0.2.
///
/// What the adapter does is the adapter's: a `proc_exit` code other than 0 may reach the host
/// only as "failure" (an exit code of 1), wherever `wasi:cli/exit` gives no other way.
///
/// ```
/// use wasiport::{rewrite::preview1_to_component, ModuleInfo};
/// let wasm = wat::parse_str(r#"(module
///     (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
///     (memory (export "memory") 1)
///     (func (export "_start") (call 0 (i32.const 3))))"#)?;
/// let component = preview1_to_component(&wasm)?;
/// let info = ModuleInfo::parse(&component)?;
/// assert!(info.component().is_some_and(|c| c.is_command()));
/// // A component is not wrapped twice.
/// assert!(preview1_to_component(&component).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn preview1_to_component(wasm: &[u8]) -> Result<Vec<u8>, String> {
    if crate::ComponentInfo::is_component(wasm) {
        return Err("it is a component already".to_string());
    }
    // wit-component 0.254 reads a module's custom sections before validating it, and panics
    // on one that runs past the end (found by mangling modules: `wasiport reliability`): the
    // module is validated first, and a panic is an error all the same.
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(wasm)
        .map_err(|e| format!("not a valid module: {e}"))?;
    let adapter = wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER;
    let encoded = std::panic::catch_unwind(|| {
        ComponentEncoder::default()
            .validate(true)
            .module(wasm)
            .and_then(|e| e.adapter(crate::wasi_p1::MODULE, adapter))
            .and_then(|mut e| e.encode())
    });
    match encoded {
        Ok(result) => result.map_err(|e| format!("wrapping the module as a component: {e:#}")),
        Err(panic) => Err(format!(
            "wrapping the module as a component: wit-component panicked: {}",
            crate::kit::panic_message(&*panic)
        )),
    }
}

//! A call-depth limit counted by the module itself.

use std::convert::Infallible;

use wasm_encoder::reencode::{utils, Error as ReencodeError, Reencode};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, ExportKind, ExportSection, FunctionSection, GlobalSection,
    GlobalType, Instruction, Module, SectionId, ValType,
};
use wasmparser::{CompositeInnerType, Operator, Parser, Payload, TypeRef};

/// The export name of the depth counter [`limit_call_depth`] adds: a mutable `i32` global, the
/// number of frames of the module's functions live now. A trap with `unreachable` while it is at
/// the limit is the limit's: a stack overflow.
pub const DEPTH_GLOBAL: &str = "wasiport:depth";

/// `wasm` with a limit on how deeply its functions call each other: each function it defines is
/// entered through a thunk that counts the depth in a global of the module's own and traps with
/// `unreachable` when a call would go past `max_depth` (the counter is exported as
/// [`DEPTH_GLOBAL`], for the host to tell that trap from the guest's own). For an engine whose interpreter keeps its
/// frames on the heap with no limit of its own (WasmEdge 0.14), where a guest recursing without
/// end would take the host's memory instead of overflowing a stack.
///
/// Calls, exports, table elements, `ref.func` and the start function reach a function through
/// its thunk; a tail call (`return_call`) reaches the function itself, since it replaces a frame
/// rather than adding one. A trap leaves the count where it was, which is harmless: an instance
/// takes no call after a trap. A module that defines no function is returned as it is.
///
/// ```
/// use wasiport::rewrite::limit_call_depth;
/// let wasm = wat::parse_str(r#"(module
///     (func $f (export "f") (param i32) (result i32) (call $f (local.get 0))))"#)?;
/// let limited = limit_call_depth(&wasm, 1000)?;
/// wasmparser::Validator::new().validate_all(&limited)?;
/// let printed = wasmprinter::print_bytes(&limited)?;
/// // The export and the call go to the thunk (function 1), the thunk to the function.
/// assert!(printed.contains(r#"(export "f" (func 1))"#), "{printed}");
/// assert!(printed.contains("call 1") && printed.contains("call $f"), "{printed}");
/// assert!(printed.contains("i32.const 1000"), "{printed}");
/// assert!(printed.contains(r#"(export "wasiport:depth" (global 0))"#), "{printed}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn limit_call_depth(wasm: &[u8], max_depth: u32) -> Result<Vec<u8>, String> {
    let mut params: Vec<Option<u32>> = Vec::new();
    let mut imported_functions = 0;
    let mut globals = 0;
    let mut defined: Vec<u32> = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group.map_err(|e| e.to_string())?.into_types() {
                        params.push(match &sub.composite_type.inner {
                            CompositeInnerType::Func(f) => Some(f.params().len() as u32),
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader {
                    match import.map_err(|e| e.to_string())?.ty {
                        TypeRef::Func(_) => imported_functions += 1,
                        TypeRef::Global(_) => globals += 1,
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    defined.push(ty.map_err(|e| e.to_string())?);
                }
            }
            Payload::GlobalSection(reader) => globals += reader.count(),
            Payload::ExportSection(reader) => {
                for export in reader {
                    if export.map_err(|e| e.to_string())?.name == DEPTH_GLOBAL {
                        return Err(format!("the module already exports `{DEPTH_GLOBAL}`"));
                    }
                }
            }
            _ => {}
        }
    }
    if defined.is_empty() {
        return Ok(wasm.to_vec());
    }
    let thunk_params = defined
        .iter()
        .map(|ty| {
            params
                .get(*ty as usize)
                .copied()
                .flatten()
                .ok_or_else(|| format!("function type {ty} is not a function's"))
        })
        .collect::<Result<Vec<u32>, String>>()?;
    let mut limit = DepthLimit {
        imported_functions,
        defined,
        thunk_params,
        depth: globals,
        max_depth,
        added_global: false,
        added_export: false,
    };
    let mut module = Module::new();
    limit
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|e: ReencodeError<Infallible>| e.to_string())?;
    Ok(module.finish())
}

struct DepthLimit {
    imported_functions: u32,
    /// The type of each function the module defines, in order; its thunk has the same type.
    defined: Vec<u32>,
    /// How many parameters each thunk passes on.
    thunk_params: Vec<u32>,
    /// The counter's global index: after every global the module has.
    depth: u32,
    max_depth: u32,
    added_global: bool,
    added_export: bool,
}

impl DepthLimit {
    fn counter(globals: &mut GlobalSection) {
        let ty = GlobalType {
            val_type: ValType::I32,
            mutable: true,
            shared: false,
        };
        globals.global(ty, &ConstExpr::i32_const(0));
    }

    /// The thunk of the `n`th function the module defines: count one more frame (trapping past
    /// the limit), call the function with the thunk's arguments, count one less.
    fn thunk(&self, n: usize) -> wasm_encoder::Function {
        let mut body = wasm_encoder::Function::new([]);
        let d = self.depth;
        // `max_depth` is an unsigned count, compared as one.
        let max = self.max_depth as i32;
        for ins in [
            Instruction::GlobalGet(d),
            Instruction::I32Const(max),
            Instruction::I32GeU,
            Instruction::If(BlockType::Empty),
            Instruction::Unreachable,
            Instruction::End,
            Instruction::GlobalGet(d),
            Instruction::I32Const(1),
            Instruction::I32Add,
            Instruction::GlobalSet(d),
        ] {
            body.instruction(&ins);
        }
        for local in 0..self.thunk_params[n] {
            body.instruction(&Instruction::LocalGet(local));
        }
        body.instruction(&Instruction::Call(self.imported_functions + n as u32));
        for ins in [
            Instruction::GlobalGet(d),
            Instruction::I32Const(1),
            Instruction::I32Sub,
            Instruction::GlobalSet(d),
            Instruction::End,
        ] {
            body.instruction(&ins);
        }
        body
    }
}

impl Reencode for DepthLimit {
    type Error = Infallible;

    /// Every reference to a function the module defines goes to its thunk, which comes after
    /// all of them.
    fn function_index(&mut self, func: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(match func >= self.imported_functions {
            true => func + self.defined.len() as u32,
            false => func,
        })
    }

    fn instruction<'a>(
        &mut self,
        op: Operator<'a>,
    ) -> Result<Instruction<'a>, ReencodeError<Infallible>> {
        match op {
            // A tail call replaces the caller's frame: it reaches the function itself.
            Operator::ReturnCall { function_index } => Ok(Instruction::ReturnCall(function_index)),
            op => utils::instruction(self, op),
        }
    }

    fn parse_function_section(
        &mut self,
        functions: &mut FunctionSection,
        section: wasmparser::FunctionSectionReader<'_>,
    ) -> Result<(), ReencodeError<Infallible>> {
        utils::parse_function_section(self, functions, section)?;
        for ty in &self.defined {
            functions.function(*ty);
        }
        Ok(())
    }

    fn parse_global_section(
        &mut self,
        globals: &mut GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> Result<(), ReencodeError<Infallible>> {
        utils::parse_global_section(self, globals, section)?;
        DepthLimit::counter(globals);
        self.added_global = true;
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), ReencodeError<Infallible>> {
        utils::parse_export_section(self, exports, section)?;
        exports.export(DEPTH_GLOBAL, ExportKind::Global, self.depth);
        self.added_export = true;
        Ok(())
    }

    fn parse_code_section(
        &mut self,
        code: &mut CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), ReencodeError<Infallible>> {
        utils::parse_code_section(self, code, section)?;
        for n in 0..self.defined.len() {
            code.function(&self.thunk(n));
        }
        Ok(())
    }

    /// Custom sections (names among them) are copied as they are: the functions keep their
    /// indices and names; the thunks have none.
    fn parse_custom_section(
        &mut self,
        module: &mut Module,
        section: wasmparser::CustomSectionReader<'_>,
    ) -> Result<(), ReencodeError<Infallible>> {
        module.section(&wasm_encoder::CustomSection {
            name: section.name().into(),
            data: section.data().into(),
        });
        Ok(())
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), ReencodeError<Infallible>> {
        // A module without a global or export section gets one where it belongs.
        use super::fuel::order;
        let past = |id: SectionId| before.is_none_or(|next| order(next) > order(id));
        if !self.added_global && past(SectionId::Global) {
            let mut globals = GlobalSection::new();
            DepthLimit::counter(&mut globals);
            module.section(&globals);
            self.added_global = true;
        }
        if !self.added_export && past(SectionId::Export) {
            let mut exports = ExportSection::new();
            exports.export(DEPTH_GLOBAL, ExportKind::Global, self.depth);
            module.section(&exports);
            self.added_export = true;
        }
        Ok(())
    }
}

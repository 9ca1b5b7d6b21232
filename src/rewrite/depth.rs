//! A call-depth limit counted by the module itself.

use std::convert::Infallible;

use wasm_encoder::reencode::{utils, Error as ReencodeError, Reencode};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, ExportKind, ExportSection, FunctionSection, GlobalSection,
    GlobalType, Instruction, Module, SectionId, ValType,
};
use wasmparser::{
    CompositeInnerType, ElementItems, FunctionBody, Operator, Parser, Payload, TableInit, TypeRef,
};

/// The export name of the depth counter [`limit_call_depth`] adds: a mutable `i32` global, the
/// number of frames of the module's functions live now. A trap with `unreachable` while it is at
/// the limit is the limit's: a stack overflow.
pub const DEPTH_GLOBAL: &str = "wasiport:depth";

/// `wasm` with a limit on how deeply its functions call each other: each function it defines
/// that can recurse is entered through a thunk that counts the depth in a global of the module's
/// own and traps with `unreachable` when a call would go past `max_depth` (the counter is exported
/// as [`DEPTH_GLOBAL`], for the host to tell that trap from the guest's own). For an engine whose
/// interpreter keeps its frames on the heap with no limit of its own (WasmEdge 0.14), where a
/// guest recursing without end would take the host's memory instead of overflowing a stack.
///
/// A function can recurse when it lies on a cycle of the module's call graph, in which
/// `call_indirect` and `call_ref` may reach every function a table or a `ref.func` can hold (the
/// host functions of this crate cannot call back into the guest, so an import closes no cycle).
/// Any other function can be on the stack at most once at a time, so the frames stay bounded (by
/// `max_depth` plus the number of functions) without counting them: the hot leaf functions of a
/// loop run without a thunk, which an interpreter pays for as a second call.
///
/// Calls, exports, table elements, `ref.func` and the start function reach a counted function
/// through its thunk; a tail call (`return_call`) reaches the function itself, since it replaces
/// a frame rather than adding one. A trap leaves the count where it was, which is harmless: an
/// instance takes no call after a trap. A module that defines no function is returned as it is.
///
/// ```
/// use wasiport::rewrite::limit_call_depth;
/// let wasm = wat::parse_str(r#"(module
///     (func $f (export "f") (param i32) (result i32) (call $f (call $leaf (local.get 0))))
///     (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))"#)?;
/// let limited = limit_call_depth(&wasm, 1000)?;
/// wasmparser::Validator::new().validate_all(&limited)?;
/// let printed = wasmprinter::print_bytes(&limited)?;
/// // The export and the recursive call go to $f's thunk (function 2), the thunk to $f; $leaf,
/// // which calls nothing, is called as it is.
/// assert!(printed.contains(r#"(export "f" (func 2))"#), "{printed}");
/// assert!(printed.contains("call 2") && printed.contains("call $f"), "{printed}");
/// assert!(printed.contains("call $leaf") && !printed.contains("(func (;3;)"), "{printed}");
/// assert!(printed.contains("i32.const 1000"), "{printed}");
/// assert!(printed.contains(r#"(export "wasiport:depth" (global 0))"#), "{printed}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn limit_call_depth(wasm: &[u8], max_depth: u32) -> Result<Vec<u8>, String> {
    let mut params: Vec<Option<u32>> = Vec::new();
    let mut imported_functions = 0;
    let mut globals = 0;
    let mut defined: Vec<u32> = Vec::new();
    let mut graph = CallGraph::default();
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
            Payload::GlobalSection(reader) => {
                for global in reader {
                    graph.held_by(&global.map_err(|e| e.to_string())?.init_expr)?;
                    globals += 1;
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    if let TableInit::Expr(init) = table.map_err(|e| e.to_string())?.init {
                        graph.held_by(&init)?;
                    }
                }
            }
            Payload::ElementSection(reader) => {
                for element in reader {
                    match element.map_err(|e| e.to_string())?.items {
                        ElementItems::Functions(functions) => {
                            for func in functions {
                                graph.held.push(func.map_err(|e| e.to_string())?);
                            }
                        }
                        ElementItems::Expressions(_, exprs) => {
                            for expr in exprs {
                                graph.held_by(&expr.map_err(|e| e.to_string())?)?;
                            }
                        }
                    }
                }
            }
            Payload::CodeSectionEntry(body) => graph.function(&body)?,
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
    let counted = graph.on_a_cycle(imported_functions);
    let mut thunk_of = Vec::with_capacity(defined.len());
    let mut thunks = Vec::new();
    for (n, counted) in counted.iter().enumerate() {
        thunk_of.push(counted.then(|| {
            thunks.push(n as u32);
            imported_functions + defined.len() as u32 + thunks.len() as u32 - 1
        }));
    }
    let mut limit = DepthLimit {
        imported_functions,
        defined,
        thunk_params,
        thunk_of,
        thunks,
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
    /// How many parameters each defined function's thunk passes on.
    thunk_params: Vec<u32>,
    /// The index of each defined function's thunk, for those that have one.
    thunk_of: Vec<Option<u32>>,
    /// The defined functions (counted from the first one the module defines) that have a thunk,
    /// in the order of their thunks, which come after every function the module defines.
    thunks: Vec<u32>,
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

    /// Every reference to a function the module defines goes to its thunk, if it has one.
    fn function_index(&mut self, func: u32) -> Result<u32, ReencodeError<Infallible>> {
        let thunk = func
            .checked_sub(self.imported_functions)
            .and_then(|n| self.thunk_of.get(n as usize).copied().flatten());
        Ok(thunk.unwrap_or(func))
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
        for n in &self.thunks {
            functions.function(self.defined[*n as usize]);
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
        for n in &self.thunks {
            code.function(&self.thunk(*n as usize));
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

/// Who calls whom among a module's functions (by their indices in the module's function space),
/// and which functions a table or a reference may hold: an indirect call may reach any of those.
#[derive(Default)]
struct CallGraph {
    /// The functions each defined function calls directly (tail calls too), in order.
    calls: Vec<Vec<u32>>,
    /// Whether each defined function makes an indirect call (`call_indirect`, `call_ref`, or
    /// their tail calls).
    indirect: Vec<bool>,
    /// The functions an element segment or a `ref.func` names.
    held: Vec<u32>,
}

impl CallGraph {
    /// Adds the next defined function, `body`.
    fn function(&mut self, body: &FunctionBody<'_>) -> Result<(), String> {
        let mut calls = Vec::new();
        let mut indirect = false;
        let mut reader = body.get_operators_reader().map_err(|e| e.to_string())?;
        while !reader.eof() {
            match reader.read().map_err(|e| e.to_string())? {
                Operator::Call { function_index } | Operator::ReturnCall { function_index } => {
                    calls.push(function_index)
                }
                Operator::CallIndirect { .. }
                | Operator::ReturnCallIndirect { .. }
                | Operator::CallRef { .. }
                | Operator::ReturnCallRef { .. } => indirect = true,
                Operator::RefFunc { function_index } => self.held.push(function_index),
                _ => {}
            }
        }
        self.calls.push(calls);
        self.indirect.push(indirect);
        Ok(())
    }

    /// Notes the functions a constant expression (a global's, a table's or an element's) holds.
    fn held_by(&mut self, expr: &wasmparser::ConstExpr<'_>) -> Result<(), String> {
        let mut reader = expr.get_operators_reader();
        while !reader.eof() {
            if let Operator::RefFunc { function_index } =
                reader.read().map_err(|e| e.to_string())?
            {
                self.held.push(function_index);
            }
        }
        Ok(())
    }

    /// Whether each defined function lies on a cycle of calls (a function that calls itself
    /// does): Tarjan's strongly connected components, without recursion, over the defined
    /// functions and one more node for "an indirect call", which leads to every held function.
    fn on_a_cycle(&self, imported_functions: u32) -> Vec<bool> {
        let defined = self.calls.len();
        let table = defined;
        let local = |func: u32| {
            func.checked_sub(imported_functions)
                .map(|n| n as usize)
                .filter(|n| *n < defined)
        };
        let held: Vec<usize> = self.held.iter().filter_map(|f| local(*f)).collect();
        let edges: Vec<Vec<usize>> = (0..defined)
            .map(|n| {
                let mut to: Vec<usize> = self.calls[n].iter().filter_map(|f| local(*f)).collect();
                if self.indirect[n] {
                    to.push(table);
                }
                to
            })
            .chain(std::iter::once(held))
            .collect();
        const UNSEEN: usize = usize::MAX;
        let nodes = edges.len();
        let (mut index, mut low) = (vec![UNSEEN; nodes], vec![0; nodes]);
        let mut on_stack = vec![false; nodes];
        let mut stack = Vec::new();
        let mut cyclic = vec![false; nodes];
        let mut next = 0;
        for root in 0..nodes {
            if index[root] != UNSEEN {
                continue;
            }
            // Each entry: a node and how many of its edges have been followed.
            let mut walk = vec![(root, 0)];
            index[root] = next;
            low[root] = next;
            next += 1;
            stack.push(root);
            on_stack[root] = true;
            while let Some(&(v, followed)) = walk.last() {
                if let Some(&w) = edges[v].get(followed) {
                    if let Some(top) = walk.last_mut() {
                        top.1 += 1;
                    }
                    if index[w] == UNSEEN {
                        index[w] = next;
                        low[w] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        walk.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                    continue;
                }
                walk.pop();
                if let Some(&(parent, _)) = walk.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut members = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        members.push(w);
                        if w == v {
                            break;
                        }
                    }
                    if members.len() > 1 || edges[v].contains(&v) {
                        for w in members {
                            cyclic[w] = true;
                        }
                    }
                }
            }
        }
        cyclic.truncate(defined);
        cyclic
    }
}

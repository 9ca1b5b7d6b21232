//! Fuel metering injected into a module.

use std::convert::Infallible;

use wasm_encoder::reencode::{utils, Error as ReencodeError, Reencode};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, EntityType, ExportKind, ExportSection, GlobalSection,
    GlobalType, ImportSection, Instruction, Module, SectionId, TypeSection, ValType,
};
use wasmparser::{Operator, Parser, Payload, TypeRef};

/// The export name of the fuel counter [`meter`] adds: a mutable `i64` global. The host sets it
/// to the run's budget before `_start` and reads what is left after; below zero, the guest ran
/// out (it trapped with `unreachable` there). It starts at `i64::MAX`, so a start function, which
/// runs during instantiation, before the host can set a budget, is not held to one.
pub const FUEL_GLOBAL: &str = "wasiport:fuel";

/// The import a module metered with [`Metering::Refuel`] calls when its counter is below zero:
/// `(func (param i64) (result i64))`, given the counter, returning the counter to go on with (at
/// least zero), or trapping to end the run.
pub const REFUEL_IMPORT: (&str, &str) = ("wasiport", "refuel");

/// The import a module metered by [`meter_sharing`] counts in: a mutable `i64` global that
/// several modules of one run (a component's core modules, which a JavaScript host instantiates
/// one by one) import together, so that they draw on one budget.
pub const FUEL_IMPORT: (&str, &str) = ("wasiport", "fuel");

/// What a metered module does once its counter in [`FUEL_GLOBAL`] is below zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metering {
    /// It traps with `unreachable`: the budget the host set is all there is. For engines that
    /// can stop a guest on their own (a timeout) and only lack a fuel count.
    Trap,
    /// It calls the host's [`REFUEL_IMPORT`], which hands out the budget a slice at a time and
    /// can end the run between slices: a timeout for an engine that cannot interrupt a guest,
    /// checked on the guest's own thread. The charges are those of [`Metering::Trap`], so the
    /// fuel a run consumes is the same.
    Refuel,
}

/// `wasm` counting its own fuel: one unit per instruction, charged at the start of each straight
/// run of code (a function's entry, and after every block, loop, branch, call and `end`), where
/// the counter in [`FUEL_GLOBAL`] is lowered by the run's length; once it is below zero the guest
/// traps or asks the host for more (`metering`). A run of code is charged whole, even when it
/// traps midway.
///
/// Deterministic: the same module and input consume the same fuel wherever the metered module
/// runs, whichever the metering.
///
/// ```
/// use wasiport::rewrite::{meter, Metering, FUEL_GLOBAL};
/// let wasm = wat::parse_str(r#"(module
///     (func (export "_start") (loop $l (br $l))))"#)?;
/// let metered = meter(&wasm, Metering::Trap)?;
/// let printed = wasmprinter::print_bytes(&metered)?;
/// assert!(printed.contains(&format!("(export \"{FUEL_GLOBAL}\" (global 0))")), "{printed}");
/// assert!(printed.contains("i64.lt_s"), "{printed}");
/// wasmparser::Validator::new().validate_all(&metered)?;
///
/// // With a host to refuel it: one more import, and the module's own functions one further on.
/// let refuelled = wasmprinter::print_bytes(meter(&wasm, Metering::Refuel)?)?;
/// assert!(refuelled.contains(r#"(import "wasiport" "refuel" (func (;0;) (type 1)))"#), "{refuelled}");
/// assert!(refuelled.contains(r#"(export "_start" (func 1))"#), "{refuelled}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn meter(wasm: &[u8], metering: Metering) -> Result<Vec<u8>, String> {
    meter_with(wasm, metering, false)
}

/// `wasm` metered as [`meter`] meters it with [`Metering::Trap`], but counting in a global it
/// imports as [`FUEL_IMPORT`] instead of one of its own: every module of a run that imports the
/// same global draws on one budget, and the host sets and reads that one global. (A component's
/// core modules, which jco's glue instantiates one by one, are metered this way.) The counter is
/// imported after the module's other imports, so every global the module defines is one index
/// further on.
///
/// ```
/// use wasiport::rewrite::{meter_sharing, FUEL_IMPORT};
/// let wasm = wat::parse_str(r#"(module
///     (global $g (mut i32) (i32.const 0))
///     (func (export "bump") (global.set $g (i32.add (global.get $g) (i32.const 1)))))"#)?;
/// let printed = wasmprinter::print_bytes(meter_sharing(&wasm)?)?;
/// let (module, name) = FUEL_IMPORT;
/// assert!(printed.contains(&format!(r#"(import "{module}" "{name}" (global (;0;) (mut i64)))"#)), "{printed}");
/// // The module's own global moved to index 1, and its code follows it; nothing is exported
/// // but what was.
/// assert!(printed.contains("(global $g (;1;) (mut i32)"), "{printed}");
/// assert!(printed.contains("global.set $g") && !printed.contains("global.set 1"), "{printed}");
/// assert!(!printed.contains("wasiport:fuel"), "{printed}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn meter_sharing(wasm: &[u8]) -> Result<Vec<u8>, String> {
    meter_with(wasm, Metering::Trap, true)
}

/// [`meter`], counting in a global of the module's own (exported as [`FUEL_GLOBAL`]) or, when
/// `shared`, in one imported as [`FUEL_IMPORT`].
fn meter_with(wasm: &[u8], metering: Metering, shared: bool) -> Result<Vec<u8>, String> {
    let mut globals = 0;
    let mut imported_globals = 0;
    let mut types = 0;
    let mut imported_functions = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::TypeSection(reader) => {
                for group in reader {
                    types += group.map_err(|e| e.to_string())?.types().len() as u32;
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader {
                    let import = import.map_err(|e| e.to_string())?;
                    if (import.module, import.name) == REFUEL_IMPORT && metering == Metering::Refuel
                        || (import.module, import.name) == FUEL_IMPORT && shared
                    {
                        return Err(format!(
                            "the module already imports `{}` `{}`",
                            import.module, import.name
                        ));
                    }
                    match import.ty {
                        TypeRef::Global(_) => {
                            globals += 1;
                            imported_globals += 1;
                        }
                        TypeRef::Func(_) => imported_functions += 1,
                        _ => {}
                    }
                }
            }
            Payload::GlobalSection(reader) => globals += reader.count(),
            Payload::ExportSection(reader) => {
                for export in reader {
                    if export.map_err(|e| e.to_string())?.name == FUEL_GLOBAL {
                        return Err(format!("the module already exports `{FUEL_GLOBAL}`"));
                    }
                }
            }
            _ => {}
        }
    }
    let refuel = (metering == Metering::Refuel).then_some(Refuel {
        ty: types,
        function: imported_functions,
        added_type: false,
        added_import: false,
    });
    let mut meter = Meter {
        // An imported counter comes after the module's imported globals (and before those it
        // defines); its own, after every global.
        fuel: if shared { imported_globals } else { globals },
        shared,
        refuel,
        added_global: false,
        added_export: false,
        added_import: false,
    };
    let mut module = Module::new();
    meter
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|e: ReencodeError<Infallible>| e.to_string())?;
    Ok(module.finish())
}

/// Where the refuelling import goes: its type after the module's types, the function after the
/// module's imported functions (every function defined in the module one index further on).
struct Refuel {
    ty: u32,
    function: u32,
    added_type: bool,
    added_import: bool,
}

impl Refuel {
    fn add_type(&mut self, types: &mut TypeSection) {
        types.ty().function([ValType::I64], [ValType::I64]);
        self.added_type = true;
    }

    fn add_import(&mut self, imports: &mut ImportSection) {
        let (module, name) = REFUEL_IMPORT;
        imports.import(module, name, EntityType::Function(self.ty));
        self.added_import = true;
    }
}

struct Meter {
    /// The counter's global index: after every global the module has, or (`shared`) after its
    /// imported ones.
    fuel: u32,
    /// Whether the counter is imported ([`FUEL_IMPORT`]) rather than the module's own.
    shared: bool,
    added_import: bool,
    /// With [`Metering::Refuel`], the import to call.
    refuel: Option<Refuel>,
    added_global: bool,
    added_export: bool,
}

impl Meter {
    fn counter_type() -> GlobalType {
        GlobalType {
            val_type: ValType::I64,
            mutable: true,
            shared: false,
        }
    }

    fn counter() -> (GlobalType, ConstExpr) {
        (Meter::counter_type(), ConstExpr::i64_const(i64::MAX))
    }

    /// The imports the metering adds: the refuelling function, the shared counter.
    fn add_imports(&mut self, imports: &mut ImportSection) {
        if let Some(refuel) = &mut self.refuel {
            refuel.add_import(imports);
        }
        if self.shared {
            let (module, name) = FUEL_IMPORT;
            imports.import(module, name, EntityType::Global(Meter::counter_type()));
            self.added_import = true;
        }
    }

    /// Lowers the counter by `cost`; once it is below zero, traps or calls the host.
    fn charge(&self, body: &mut wasm_encoder::Function, cost: i64) {
        for ins in [
            Instruction::GlobalGet(self.fuel),
            Instruction::I64Const(cost),
            Instruction::I64Sub,
            Instruction::GlobalSet(self.fuel),
            Instruction::GlobalGet(self.fuel),
            Instruction::I64Const(0),
            Instruction::I64LtS,
            Instruction::If(BlockType::Empty),
        ] {
            body.instruction(&ins);
        }
        match &self.refuel {
            None => {
                body.instruction(&Instruction::Unreachable);
            }
            Some(refuel) => {
                body.instruction(&Instruction::GlobalGet(self.fuel));
                body.instruction(&Instruction::Call(refuel.function));
                body.instruction(&Instruction::GlobalSet(self.fuel));
            }
        }
        body.instruction(&Instruction::End);
    }
}

/// Whether a straight run of code ends after `op` (control may go elsewhere, or arrive here
/// from elsewhere, next).
fn ends_a_run(op: &Operator) -> bool {
    use Operator::*;
    matches!(
        op,
        Block { .. }
            | Loop { .. }
            | If { .. }
            | Else
            | End
            | Br { .. }
            | BrIf { .. }
            | BrTable { .. }
            | BrOnNull { .. }
            | BrOnNonNull { .. }
            | BrOnCast { .. }
            | BrOnCastFail { .. }
            | Return
            | Unreachable
            | Call { .. }
            | CallIndirect { .. }
            | CallRef { .. }
            | ReturnCall { .. }
            | ReturnCallIndirect { .. }
            | ReturnCallRef { .. }
            | Try { .. }
            | TryTable { .. }
            | Catch { .. }
            | CatchAll
            | Delegate { .. }
            | Throw { .. }
            | ThrowRef
            | Rethrow { .. }
    )
}

impl Reencode for Meter {
    type Error = Infallible;

    fn function_index(&mut self, func: u32) -> Result<u32, ReencodeError<Infallible>> {
        Ok(match &self.refuel {
            Some(refuel) if func >= refuel.function => func + 1,
            _ => func,
        })
    }

    fn global_index(&mut self, global: u32) -> Result<u32, ReencodeError<Infallible>> {
        // An imported counter moves every global the module defines one further on.
        Ok(match self.shared && global >= self.fuel {
            true => global + 1,
            false => global,
        })
    }

    fn parse_type_section(
        &mut self,
        types: &mut TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), ReencodeError<Infallible>> {
        utils::parse_type_section(self, types, section)?;
        if let Some(refuel) = &mut self.refuel {
            refuel.add_type(types);
        }
        Ok(())
    }

    fn parse_import_section(
        &mut self,
        imports: &mut ImportSection,
        section: wasmparser::ImportSectionReader<'_>,
    ) -> Result<(), ReencodeError<Infallible>> {
        utils::parse_import_section(self, imports, section)?;
        self.add_imports(imports);
        Ok(())
    }

    fn parse_global_section(
        &mut self,
        globals: &mut GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> Result<(), ReencodeError<Infallible>> {
        utils::parse_global_section(self, globals, section)?;
        if !self.shared {
            let (ty, init) = Meter::counter();
            globals.global(ty, &init);
            self.added_global = true;
        }
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), ReencodeError<Infallible>> {
        utils::parse_export_section(self, exports, section)?;
        if !self.shared {
            exports.export(FUEL_GLOBAL, ExportKind::Global, self.fuel);
            self.added_export = true;
        }
        Ok(())
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), ReencodeError<Infallible>> {
        use SectionId::*;
        // A module without a type, import, global or export section gets one where it belongs.
        let past = |id: SectionId| before.is_none_or(|next| order(next) > order(id));
        if let Some(refuel) = &mut self.refuel {
            if !refuel.added_type && past(Type) {
                let mut types = TypeSection::new();
                refuel.add_type(&mut types);
                module.section(&types);
            }
        }
        let imports_missing = self.refuel.as_ref().is_some_and(|r| !r.added_import)
            || (self.shared && !self.added_import);
        if imports_missing && past(Import) {
            let mut imports = ImportSection::new();
            self.add_imports(&mut imports);
            module.section(&imports);
        }
        if self.shared {
            return Ok(());
        }
        if !self.added_global && past(Global) {
            let mut globals = GlobalSection::new();
            let (ty, init) = Meter::counter();
            globals.global(ty, &init);
            module.section(&globals);
            self.added_global = true;
        }
        if !self.added_export && past(Export) {
            let mut exports = ExportSection::new();
            exports.export(FUEL_GLOBAL, ExportKind::Global, self.fuel);
            module.section(&exports);
            self.added_export = true;
        }
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), ReencodeError<Infallible>> {
        let mut body = self.new_function_with_parsed_locals(&func)?;
        let mut reader = func.get_operators_reader()?;
        let mut run: Vec<Instruction<'_>> = Vec::new();
        while !reader.eof() {
            let op = reader.read()?;
            let ends = ends_a_run(&op);
            run.push(self.instruction(op)?);
            if ends || reader.eof() {
                self.charge(&mut body, run.len() as i64);
                for ins in run.drain(..) {
                    body.instruction(&ins);
                }
            }
        }
        code.function(&body);
        Ok(())
    }
}

/// Where a section goes in a module (the tag section sits between memory and global).
pub(super) fn order(id: SectionId) -> u8 {
    use SectionId::*;
    match id {
        Custom => 0,
        Type => 1,
        Import => 2,
        Function => 3,
        Table => 4,
        Memory => 5,
        Tag => 6,
        Global => 7,
        Export => 8,
        Start => 9,
        Element => 10,
        DataCount => 11,
        Code => 12,
        Data => 13,
    }
}

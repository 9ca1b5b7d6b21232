//! Fuel metering injected into a module.

use std::convert::Infallible;

use wasm_encoder::reencode::{utils, Error as ReencodeError, Reencode};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, ExportKind, ExportSection, GlobalSection, GlobalType,
    Instruction, Module, SectionId, ValType,
};
use wasmparser::{Operator, Parser, Payload, TypeRef};

/// The export name of the fuel counter [`meter`] adds: a mutable `i64` global. The host sets it
/// to the run's budget before `_start` and reads what is left after; below zero, the guest ran
/// out (it trapped with `unreachable` there). It starts at `i64::MAX`, so a start function, which
/// runs during instantiation, before the host can set a budget, is not held to one.
pub const FUEL_GLOBAL: &str = "wasiport:fuel";

/// `wasm` counting its own fuel: one unit per instruction, charged at the start of each straight
/// run of code (a function's entry, and after every block, loop, branch, call and `end`), where
/// the counter in [`FUEL_GLOBAL`] is lowered by the run's length and, once below zero, the guest
/// traps. A run of code is charged whole, even when it traps midway.
///
/// Deterministic: the same module and input consume the same fuel wherever the metered module
/// runs.
///
/// ```
/// use wasiport::rewrite::{meter, FUEL_GLOBAL};
/// let wasm = wat::parse_str(r#"(module
///     (func (export "_start") (loop $l (br $l))))"#)?;
/// let metered = meter(&wasm)?;
/// let printed = wasmprinter::print_bytes(&metered)?;
/// assert!(printed.contains(&format!("(export \"{FUEL_GLOBAL}\" (global 0))")), "{printed}");
/// assert!(printed.contains("i64.lt_s"), "{printed}");
/// wasmparser::Validator::new().validate_all(&metered)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn meter(wasm: &[u8]) -> Result<Vec<u8>, String> {
    let mut globals = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::ImportSection(reader) => {
                for import in reader {
                    if let TypeRef::Global(_) = import.map_err(|e| e.to_string())?.ty {
                        globals += 1;
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
    let mut meter = Meter {
        fuel: globals,
        added_global: false,
        added_export: false,
    };
    let mut module = Module::new();
    meter
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|e: ReencodeError<Infallible>| e.to_string())?;
    Ok(module.finish())
}

struct Meter {
    /// The counter's global index: after every global the module has.
    fuel: u32,
    added_global: bool,
    added_export: bool,
}

impl Meter {
    fn counter() -> (GlobalType, ConstExpr) {
        let ty = GlobalType {
            val_type: ValType::I64,
            mutable: true,
            shared: false,
        };
        (ty, ConstExpr::i64_const(i64::MAX))
    }

    /// Lowers the counter by `cost` and traps once it is below zero.
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
            Instruction::Unreachable,
            Instruction::End,
        ] {
            body.instruction(&ins);
        }
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

    fn parse_global_section(
        &mut self,
        globals: &mut GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> Result<(), ReencodeError<Infallible>> {
        utils::parse_global_section(self, globals, section)?;
        let (ty, init) = Meter::counter();
        globals.global(ty, &init);
        self.added_global = true;
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), ReencodeError<Infallible>> {
        utils::parse_export_section(self, exports, section)?;
        exports.export(FUEL_GLOBAL, ExportKind::Global, self.fuel);
        self.added_export = true;
        Ok(())
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), ReencodeError<Infallible>> {
        use SectionId::*;
        // A module without a global or export section gets one where it belongs.
        let past = |id: SectionId| before.is_none_or(|next| order(next) > order(id));
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
fn order(id: SectionId) -> u8 {
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

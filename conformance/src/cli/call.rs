//! `wasiport call`: instantiate a module once and call one of its exported functions.

use clap::Args;
use serde_json::json;
use wasiport::{CallEnd, HostValue, Termination, ValType};
use wasiport_conformance::backends;

use super::{exit, run, Failure};

#[derive(Args)]
pub(crate) struct CallArgs {
    /// The run flags, MODULE, then FUNCTION and its arguments (parsed by its signature:
    /// integers for i32 and i64, numbers for f32 and f64).
    #[command(flatten)]
    run: run::RunArgs,
}

/// `text` as a value of type `ty`, or why not.
fn parse_value(ty: ValType, text: &str) -> Result<HostValue, String> {
    let bad = |e: &dyn std::fmt::Display| format!("`{text}` is not an {ty}: {e}");
    Ok(match ty {
        ValType::I32 => HostValue::I32(text.parse().map_err(|e| bad(&e))?),
        ValType::I64 => HostValue::I64(text.parse().map_err(|e| bad(&e))?),
        ValType::F32 => HostValue::F32(text.parse().map_err(|e| bad(&e))?),
        ValType::F64 => HostValue::F64(text.parse().map_err(|e| bad(&e))?),
        other => {
            return Err(format!(
                "a parameter of type {other} cannot be given on the command line"
            ))
        }
    })
}

/// A value as the command line prints it: the number alone.
fn value_text(value: &HostValue) -> String {
    match value {
        HostValue::I32(v) => v.to_string(),
        HostValue::I64(v) => v.to_string(),
        HostValue::F32(v) => v.to_string(),
        HostValue::F64(v) => v.to_string(),
    }
}

/// Calls the function; prints its results on one line, if it has any (or one JSON object
/// with --json).
/// Exits 0 when it returned, else as `run` does for the same ending.
pub(crate) fn call(args: CallArgs) -> Result<u8, Failure> {
    let run = &args.run;
    let Some((function, values)) = run.args.split_first() else {
        return Err(Failure::new(
            exit::USAGE,
            "no FUNCTION: wasiport call [flags] MODULE FUNCTION [ARGS...]",
        ));
    };
    let wasm = run::read_module(&run.module)?;
    let backend = backends::by_name(&run.backend)?;
    let config = run::config_with_args(run, &[], run.json)?;
    let module = run.cache.cache()?.get_or_compile_for(
        backend.as_ref(),
        &wasm,
        &wasiport::Limits::FOR_INSTANCES,
    )?;
    let signature = module.info().exported_function(function).ok_or_else(|| {
        Failure::new(
            exit::USAGE,
            format!(
                "{}: the module exports no function `{function}`",
                run.module.display()
            ),
        )
    })?;
    if signature.params.len() != values.len() {
        return Err(Failure::new(
            exit::USAGE,
            format!(
                "`{function}` {signature} takes {} arguments, not {}",
                signature.params.len(),
                values.len()
            ),
        ));
    }
    let values = signature
        .params
        .iter()
        .zip(values)
        .map(|(ty, text)| parse_value(*ty, text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::new(exit::USAGE, format!("`{function}`: {e}")))?;
    let mut instance = backend.instantiate(&module, &config)?;
    let call = instance.call(function, &values)?;
    let code = match &call.end {
        CallEnd::Returned(_) => 0,
        CallEnd::Ended(termination) => run::termination_exit_code(termination),
    };
    if run.json {
        let (returned, ended) = match &call.end {
            CallEnd::Returned(values) => (
                Some(values.iter().map(value_text).collect::<Vec<_>>()),
                None,
            ),
            CallEnd::Ended(t) => (None, Some(t)),
        };
        println!(
            "{}",
            json!({
                "backend": backend.name(),
                "runtime_version": backend.runtime_version(),
                "function": function,
                "returned": returned,
                "termination": ended.map(Termination::as_str),
                "exit_code": match ended { Some(Termination::Exited(c)) => Some(*c), _ => None },
                "trap_kind": ended.and_then(Termination::trap).map(|t| t.kind.as_str()),
                "message": ended.map(ToString::to_string),
                "stdout": String::from_utf8_lossy(&call.stdout),
                "stderr": String::from_utf8_lossy(&call.stderr),
                "elapsed_ms": call.elapsed.as_secs_f64() * 1000.0,
                "fuel_consumed": call.fuel_consumed,
            })
        );
        return Ok(code);
    }
    match &call.end {
        CallEnd::Returned(values) if values.is_empty() => {}
        CallEnd::Returned(values) => {
            let line: Vec<String> = values.iter().map(value_text).collect();
            println!("{}", line.join(" "));
        }
        CallEnd::Ended(Termination::Exited(_)) => {}
        CallEnd::Ended(other) => eprintln!("wasiport: {}: guest {other}", backend.name()),
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_parsed_by_their_type() {
        assert_eq!(parse_value(ValType::I32, "-7"), Ok(HostValue::I32(-7)));
        assert_eq!(
            parse_value(ValType::I64, "9000000000"),
            Ok(HostValue::I64(9_000_000_000))
        );
        assert_eq!(parse_value(ValType::F64, "2.5"), Ok(HostValue::F64(2.5)));
        assert!(parse_value(ValType::I32, "9000000000").is_err());
        assert!(parse_value(ValType::I32, "1.5")
            .unwrap_err()
            .contains("`1.5` is not an i32"));
    }
}

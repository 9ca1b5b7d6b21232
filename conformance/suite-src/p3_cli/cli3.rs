// wasi:cli 0.3: arguments, environment, exit, the standard streams (streams of the component
// model) and the terminals, from an async `wasi:cli/run`.
//! get_arguments_are_the_programs {"args": ["get_arguments_are_the_programs", "a", "b c"]}
//! get_environment_is_what_the_run_sets {"env": {"A": "1", "EMPTY": "", "EQ": "x=y"}}
//! exit_err_ends_the_run_with_failure {"exit_code": 1}
//! exit_with_code_keeps_its_code {"exit_code": 7}
//! stdout_write_via_stream_takes_a_write {"stdout": "to stdout\n"}
//! stderr_write_via_stream_takes_a_write {"stderr": "to stderr\n"}
use guest::{case, check, check_eq};
use wasip3::cli::{environment, exit, stderr, stdin, stdout, terminal_stderr, terminal_stdin};
use wasip3::cli::terminal_stdout;

/// Writes `text` through a stream to what `write` takes it with; whether that succeeded.
async fn send<F>(text: &str, write: impl FnOnce(wasip3::wit_bindgen::StreamReader<u8>) -> F) -> bool
where
    F: std::future::IntoFuture<Output = Result<(), wasip3::cli::types::ErrorCode>>,
{
    let (mut tx, rx) = wasip3::wit_stream::new();
    let done = write(rx);
    let left = tx.write_all(text.as_bytes().to_vec()).await;
    drop(tx);
    left.is_empty() && done.into_future().await.is_ok()
}

guest::p3_main!(
    case!(get_arguments_are_the_programs, "wasi:cli/environment@0.3#get-arguments", async {
        let args = environment::get_arguments();
        check_eq!(args.len(), 4);
        check_eq!(args.get(1..).map(<[String]>::to_vec).unwrap_or_default(), ["get_arguments_are_the_programs", "a", "b c"]);
    }),
    case!(get_environment_is_what_the_run_sets, "wasi:cli/environment@0.3#get-environment", async {
        let mut env = environment::get_environment();
        env.sort();
        check_eq!(env, guest::environment(&[("A", "1"), ("EMPTY", ""), ("EQ", "x=y")]));
    }),
    case!(get_initial_cwd_is_absolute_when_given, "wasi:cli/environment@0.3#get-initial-cwd", async {
        if let Some(cwd) = environment::get_initial_cwd() {
            check!(cwd.starts_with('/'));
        }
    }),
    case!(exit_err_ends_the_run_with_failure, "wasi:cli/exit@0.3#exit", async {
        exit::exit(Err(()));
    }),
    case!(exit_with_code_keeps_its_code, "wasi:cli/exit@0.3#exit-with-code", async {
        exit::exit_with_code(7);
    }),
    case!(stdin_that_is_empty_ends_at_once, "wasi:cli/stdin@0.3#read-via-stream", async {
        let (input, done) = stdin::read_via_stream();
        check_eq!(input.collect().await, Vec::<u8>::new());
        check!(done.await.is_ok());
    }),
    case!(stdout_write_via_stream_takes_a_write, "wasi:cli/stdout@0.3#write-via-stream", async {
        check!(send("to stdout\n", stdout::write_via_stream).await);
    }),
    case!(stderr_write_via_stream_takes_a_write, "wasi:cli/stderr@0.3#write-via-stream", async {
        check!(send("to stderr\n", stderr::write_via_stream).await);
    }),
    case!(terminal_stdin_is_none_when_not_a_terminal, "wasi:cli/terminal-stdin@0.3#get-terminal-stdin", async {
        check!(terminal_stdin::get_terminal_stdin().is_none());
    }),
    case!(terminal_stdout_is_none_when_captured, "wasi:cli/terminal-stdout@0.3#get-terminal-stdout", async {
        check!(terminal_stdout::get_terminal_stdout().is_none());
    }),
    case!(terminal_stderr_is_none_when_captured, "wasi:cli/terminal-stderr@0.3#get-terminal-stderr", async {
        check!(terminal_stderr::get_terminal_stderr().is_none());
    }),
);

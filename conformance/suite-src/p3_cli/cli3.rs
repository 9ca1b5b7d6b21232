// wasi:cli 0.3: arguments, environment, exit, the standard streams (streams of the component
// model) and the terminals, from an async `wasi:cli/run`.
//! get_arguments_are_the_programs {"args": ["get_arguments_are_the_programs", "a", "b c"]}
//! get_environment_is_what_the_run_sets {"env": {"A": "1", "EMPTY": "", "EQ": "x=y"}}
//! exit_err_ends_the_run_with_failure {"exit_code": 1}
//! exit_with_code_keeps_its_code {"exit_code": 7}
//! stdout_write_via_stream_takes_a_write {"stdout": "to stdout\n"}
//! stderr_write_via_stream_takes_a_write {"stderr": "to stderr\n"}
//! get_arguments_are_the_programs {"mandated": "WIT wasi:cli/environment@0.3.0 get-arguments: the POSIX-style arguments (POSIX exec: argv[0] names the program); wasiport RunConfig: argv is program_name, then the run's arguments, so four, b c kept whole"}
//! get_environment_is_what_the_run_sets {"mandated": "WIT wasi:cli/environment@0.3.0 get-environment: the POSIX-style environment variables as name and value pairs; wasiport RunConfig: the environment is the run's and nothing of the host's leaks in, so exactly A, EMPTY (empty) and EQ (x=y whole)"}
//! exit_with_code_keeps_its_code {"mandated": "WIT wasi:cli/exit@0.3.0 exit-with-code: exits the instance, reporting the given status code to the host, so the run ends with 7"}
//! stdin_that_is_empty_ends_at_once {"mandated": "WIT wasi:cli/stdin@0.3.0 read-via-stream: when stdin's writer has closed it, the stream ends and the future resolves to success; wasiport Stdin::Empty, the runner's stdin: reads return end-of-file at once"}
//! stdout_write_via_stream_takes_a_write {"mandated": "WIT wasi:cli/stdout@0.3.0 write-via-stream: once the stream's writer is dropped, it returns success after writing the stream's whole contents to stdout, so stdout is to stdout\\n"}
//! stderr_write_via_stream_takes_a_write {"mandated": "WIT wasi:cli/stderr@0.3.0 write-via-stream: once the stream's writer is dropped, it returns success after writing the stream's whole contents to stderr, so stderr is to stderr\\n"}
//! terminal_stdin_is_none_when_not_a_terminal {"mandated": "WIT wasi:cli/terminal-stdin@0.3.0 get-terminal-stdin: a terminal-input only if stdin is connected to a terminal; the runner's stdin is wasiport's Stdin::Empty, no terminal"}
//! terminal_stdout_is_none_when_captured {"mandated": "WIT wasi:cli/terminal-stdout@0.3.0 get-terminal-stdout: a terminal-output only if stdout is connected to a terminal; the runner captures stdout (wasiport OutputMode::Capture), no terminal"}
//! terminal_stderr_is_none_when_captured {"mandated": "WIT wasi:cli/terminal-stderr@0.3.0 get-terminal-stderr: a terminal-output only if stderr is connected to a terminal; the runner captures stderr (wasiport OutputMode::Capture), no terminal"}
//! get_initial_cwd_is_absolute_when_given {"implementation_defined": {"why": "WIT wasi:cli/environment@0.3.0 get-initial-cwd: a path programs should use as their initial working directory, if the host has one; it does not say the path is absolute. An absolute one (or none) is preferred; a relative one is allowed (the guest exits 3)", "also": [{"exit_code": 3}]}}
//! exit_err_ends_the_run_with_failure {"implementation_defined": {"why": "WIT wasi:cli/exit@0.3.0 exit: an err status ends the program with failure, but no exit code is named. 1 (wasmtime's CLI, C's EXIT_FAILURE) is preferred; another failing (non-zero) code is allowed", "also": ["failure"]}}
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
        // Exit 3: a relative one (implementation-defined, see the spec).
        if environment::get_initial_cwd().is_some_and(|cwd| !cwd.starts_with('/')) {
            exit::exit_with_code(3);
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

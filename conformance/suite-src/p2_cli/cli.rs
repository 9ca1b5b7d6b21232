// wasi:cli 0.2: arguments, environment, exit, the standard streams and the terminals.
//! get_arguments_are_the_programs {"args": ["get_arguments_are_the_programs", "a", "b c"]}
//! get_environment_is_what_the_run_sets {"env": {"A": "1", "EMPTY": "", "EQ": "x=y"}}
//! exit_ok_ends_the_run_with_success {"stdout": "before\n"}
//! exit_err_ends_the_run_with_failure {"exit_code": 1, "stdout": "before\n"}
//! exit_with_code_keeps_its_code {"exit_code": 7}
//! stdout_takes_a_write {"stdout": "to stdout\n"}
//! stderr_takes_a_write {"stderr": "to stderr\n"}
//! stdin_written_while_running_reaches_the_guest {"operations": [{"type": "run"}, {"type": "write", "id": "stdin", "payload": "Hello, world!"}, {"type": "read", "id": "stdout", "payload": "Hello, world!"}, {"type": "read", "id": "stderr", "payload": "Hello, world!"}, {"type": "wait"}]}
//! stdout_is_read_while_the_guest_waits_for_stdin {"operations": [{"type": "run"}, {"type": "read", "id": "stdout", "payload": "READY\n"}, {"type": "write", "id": "stdin", "payload": "x"}, {"type": "wait", "exit_code": 0}]}
use guest::{case, check, check_eq, ok};
use wasip2::cli::{environment, exit, stderr, stdin, stdout, terminal_stderr, terminal_stdin};
use wasip2::cli::terminal_stdout;
use wasip2::io::streams::StreamError;

fn say(text: &str) {
    let out = stdout::get_stdout();
    let _ = out.blocking_write_and_flush(text.as_bytes());
}

fn main() {
    guest::main(&[
        case!(get_arguments_are_the_programs, "wasi:cli/environment#get-arguments", {
            let args = environment::get_arguments();
            // argv[0] is the program's name (whatever the host calls it), then the run's.
            check_eq!(args.len(), 4);
            check_eq!(args.get(1..).map(<[String]>::to_vec).unwrap_or_default(), ["get_arguments_are_the_programs", "a", "b c"]);
        }),
        case!(get_environment_is_what_the_run_sets, "wasi:cli/environment#get-environment", {
            let mut env = environment::get_environment();
            env.sort();
            check_eq!(env, guest::environment(&[("A", "1"), ("EMPTY", ""), ("EQ", "x=y")]));
        }),
        case!(get_environment_is_empty_by_default, "wasi:cli/environment#get-environment", {
            check_eq!(environment::get_environment(), Vec::<(String, String)>::new());
        }),
        case!(initial_cwd_is_absolute_when_given, "wasi:cli/environment#initial-cwd", {
            // The WIT leaves it to the host whether there is one; one given is a path.
            if let Some(cwd) = environment::initial_cwd() {
                check!(cwd.starts_with('/'));
            }
        }),
        case!(exit_ok_ends_the_run_with_success, "wasi:cli/exit#exit", {
            say("before\n");
            exit::exit(Ok(()));
            say("after\n");
        }),
        case!(exit_err_ends_the_run_with_failure, "wasi:cli/exit#exit", {
            say("before\n");
            exit::exit(Err(()));
            say("after\n");
        }),
        case!(exit_with_code_keeps_its_code, "wasi:cli/exit#exit-with-code", {
            exit::exit_with_code(7);
            say("after\n");
        }),
        case!(stdin_that_is_empty_is_closed, "wasi:cli/stdin#get-stdin wasi:io/streams#[method]input-stream.blocking-read", {
            let input = stdin::get_stdin();
            check!(matches!(input.blocking_read(16), Err(StreamError::Closed)));
        }),
        case!(stdin_written_while_running_reaches_the_guest, "wasi:cli/stdin#get-stdin wasi:io/streams#[method]input-stream.blocking-read", {
            // What the runner writes (stdin stays open), to both output streams.
            let got = ok!(stdin::get_stdin().blocking_read(1024));
            ok!(stdout::get_stdout().blocking_write_and_flush(&got));
            ok!(stderr::get_stderr().blocking_write_and_flush(&got));
        }),
        case!(stdout_is_read_while_the_guest_waits_for_stdin, "wasi:cli/stdout#get-stdout wasi:io/streams#[method]output-stream.blocking-flush", {
            let out = stdout::get_stdout();
            ok!(out.write(b"READY\n"));
            ok!(out.blocking_flush());
            // The runner answers only once it has read that.
            check_eq!(ok!(stdin::get_stdin().blocking_read(1)), b"x".to_vec());
        }),
        case!(stdout_takes_a_write, "wasi:cli/stdout#get-stdout wasi:io/streams#[method]output-stream.blocking-write-and-flush", {
            ok!(stdout::get_stdout().blocking_write_and_flush(b"to stdout\n"));
        }),
        case!(stderr_takes_a_write, "wasi:cli/stderr#get-stderr wasi:io/streams#[method]output-stream.blocking-write-and-flush", {
            ok!(stderr::get_stderr().blocking_write_and_flush(b"to stderr\n"));
        }),
        case!(terminal_stdin_is_none_when_not_a_terminal, "wasi:cli/terminal-stdin#get-terminal-stdin", {
            // The runner gives stdin from no terminal: the WIT's answer is none.
            check!(terminal_stdin::get_terminal_stdin().is_none());
        }),
        case!(terminal_stdout_is_none_when_captured, "wasi:cli/terminal-stdout#get-terminal-stdout", {
            check!(terminal_stdout::get_terminal_stdout().is_none());
        }),
        case!(terminal_stderr_is_none_when_captured, "wasi:cli/terminal-stderr#get-terminal-stderr", {
            check!(terminal_stderr::get_terminal_stderr().is_none());
        }),
    ])
}

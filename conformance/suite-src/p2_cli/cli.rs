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
//! get_arguments_are_the_programs {"mandated": "WIT wasi:cli/environment@0.2.12 get-arguments: the POSIX-style arguments to the program; POSIX.1-2017 exec: argv[0] should name the program and the strings after it are the arguments it was given"}
//! get_environment_is_what_the_run_sets {"mandated": "WIT wasi:cli/environment@0.2.12 get-environment: the POSIX-style environment variables as (name, value) pairs; POSIX.1-2017 XBD 8.1: strings of the form name=value, a name holds no `=`, the value is the rest"}
//! get_environment_is_empty_by_default {"mandated": "WIT wasi:cli/environment@0.2.12 get-environment: the environment variables given to the program as (name, value) pairs; this run gives none, so the list is empty"}
//! exit_ok_ends_the_run_with_success {"mandated": "WIT wasi:cli/exit@0.2.12 exit: exits the current instance there and then (nothing after it runs) with the status given, ok meaning success (exit code 0)"}
//! exit_with_code_keeps_its_code {"mandated": "WIT wasi:cli/exit@0.2.12 exit-with-code: exits the instance reporting the given status code (7) to the host, and does not return, so nothing after it runs"}
//! stdin_that_is_empty_is_closed {"mandated": "WIT wasi:cli/stdin@0.2.12 get-stdin: the program's input stream; wasi:io/streams@0.2.12 blocking-read: blocks until a byte can be read, else fails as read does with closed once the stream has no more input (an empty stdin)"}
//! stdin_written_while_running_reaches_the_guest {"mandated": "WIT wasi:cli/stdin@0.2.12 get-stdin: the program's input stream; wasi:io/streams@0.2.12 blocking-read: blocks until bytes can be read and returns them verbatim; blocking-write-and-flush: succeeds once they are flushed to output"}
//! stdout_is_read_while_the_guest_waits_for_stdin {"mandated": "WIT wasi:io/streams@0.2.12 blocking-flush: blocks until all passed to write before it is flushed, so the runner can read READY while the guest then waits in blocking-read, which returns the byte written to stdin"}
//! stdout_takes_a_write {"mandated": "WIT wasi:cli/stdout@0.2.12 get-stdout: the program's standard output; wasi:io/streams@0.2.12 blocking-write-and-flush: succeeds when all the contents are flushed to output, written verbatim"}
//! stderr_takes_a_write {"mandated": "WIT wasi:cli/stderr@0.2.12 get-stderr: the program's standard error; wasi:io/streams@0.2.12 blocking-write-and-flush: succeeds when all the contents are flushed to output, written verbatim"}
//! terminal_stdin_is_none_when_not_a_terminal {"mandated": "WIT wasi:cli/terminal-stdin@0.2.12 get-terminal-stdin: a terminal-input only if stdin is connected to a terminal; the runner's stdin is not, so none"}
//! terminal_stdout_is_none_when_captured {"mandated": "WIT wasi:cli/terminal-stdout@0.2.12 get-terminal-stdout: a terminal-output only if stdout is connected to a terminal; the runner captures it, so none"}
//! terminal_stderr_is_none_when_captured {"mandated": "WIT wasi:cli/terminal-stderr@0.2.12 get-terminal-stderr: a terminal-output only if stderr is connected to a terminal; the runner captures it, so none"}
//! exit_err_ends_the_run_with_failure {"implementation_defined": {"why": "WIT wasi:cli/exit@0.2 exit: an err status ends the program with failure, but no exit code is named. 1 (wasmtime's CLI, C's EXIT_FAILURE) is preferred; another failing (non-zero) code is allowed", "also": ["failure"]}}
//! initial_cwd_is_absolute_when_given {"implementation_defined": {"why": "WIT wasi:cli/environment@0.2 initial-cwd: a path programs should use as their initial working directory, if the host has one; it does not say the path is absolute. An absolute one (or none) is preferred; a relative one is allowed (the guest exits 3)", "also": [{"exit_code": 3}]}}
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
            // Exit 3: a relative one (implementation-defined, see the spec).
            if environment::initial_cwd().is_some_and(|cwd| !cwd.starts_with('/')) {
                exit::exit_with_code(3);
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

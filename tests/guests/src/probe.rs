//! One guest, many probes: `probe COMMAND [ARGS...]` does one thing the backend tests check.
//! Failures print `error: <kind>` to stdout and exit 1, so tests can compare output exactly.

use std::io::{Read, Write};
use std::process::exit;

fn fail(e: std::io::Error) -> ! {
    println!("error: {:?}", e.kind());
    exit(1)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    match arg(1).as_str() {
        // Prints argv, one per line (argv[0] included).
        "args" => {
            for a in &args {
                println!("{a}");
            }
        }
        // Prints the environment as KEY=VALUE lines, sorted.
        "env" => {
            let mut vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
            vars.sort();
            for v in vars {
                println!("{v}");
            }
        }
        // Copies stdin to stdout.
        "cat" => {
            let mut input = Vec::new();
            std::io::stdin().read_to_end(&mut input).unwrap_or_else(|e| fail(e));
            std::io::stdout().write_all(&input).unwrap_or_else(|e| fail(e));
        }
        // Writes its second argument to stdout and its third to stderr.
        "print" => {
            print!("{}", arg(2));
            eprint!("{}", arg(3));
        }
        // Writes N bytes of `x` to stdout.
        "flood" => {
            let n: usize = arg(2).parse().unwrap_or(0);
            std::io::stdout().write_all(&vec![b'x'; n]).unwrap_or_else(|e| fail(e));
        }
        // Exits with the given code.
        "exit" => exit(arg(2).parse().unwrap_or(0)),
        // Panics (Rust guests abort, which traps as `unreachable`).
        "panic" => panic!("probe asked to panic"),
        // Reads a file and prints it.
        "read" => {
            let text = std::fs::read_to_string(arg(2)).unwrap_or_else(|e| fail(e));
            print!("{text}");
        }
        // Writes its third argument into the file named by the second.
        "write" => {
            std::fs::write(arg(2), arg(3)).unwrap_or_else(|e| fail(e));
            println!("ok");
        }
        // Creates a directory.
        "mkdir" => {
            std::fs::create_dir(arg(2)).unwrap_or_else(|e| fail(e));
            println!("ok");
        }
        // Deletes a file.
        "rm" => {
            std::fs::remove_file(arg(2)).unwrap_or_else(|e| fail(e));
            println!("ok");
        }
        // Renames a file.
        "mv" => {
            std::fs::rename(arg(2), arg(3)).unwrap_or_else(|e| fail(e));
            println!("ok");
        }
        // Lists a directory, sorted.
        "ls" => {
            let mut names: Vec<String> = std::fs::read_dir(arg(2))
                .unwrap_or_else(|e| fail(e))
                .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e| fail(e));
            names.sort();
            for n in names {
                println!("{n}");
            }
        }
        // Allocates N MiB in one go and prints `ok` (or aborts when memory is capped).
        "alloc" => {
            let mib: usize = arg(2).parse().unwrap_or(0);
            let v = vec![1u8; mib << 20];
            println!("ok {}", v.iter().map(|b| *b as usize).sum::<usize>() >> 20);
        }
        // A syscall-heavy loop for the benchmarks: N rounds, in directory DIR, of creating a
        // file with 8 small writes, a stat of it, and a listing of DIR. Prints the bytes seen.
        "syscalls" => {
            let rounds: usize = arg(2).parse().unwrap_or(1);
            let dir = std::path::PathBuf::from(arg(3));
            let path = dir.join("syscalls.txt");
            let mut seen = 0u64;
            for _ in 0..rounds {
                let mut f = std::fs::File::create(&path).unwrap_or_else(|e| fail(e));
                for _ in 0..8 {
                    f.write_all(b"0123456789abcdef").unwrap_or_else(|e| fail(e));
                }
                drop(f);
                seen += std::fs::metadata(&path).unwrap_or_else(|e| fail(e)).len();
                for e in std::fs::read_dir(&dir).unwrap_or_else(|e| fail(e)) {
                    let e = e.unwrap_or_else(|e| fail(e));
                    seen += u64::from(e.file_type().unwrap_or_else(|e| fail(e)).is_file());
                }
            }
            println!("{seen}");
        }
        // Spins forever.
        "spin" => {
            let mut x: u64 = 0;
            loop {
                x = x.wrapping_add(1);
                std::hint::black_box(x);
            }
        }
        other => {
            eprintln!("probe: unknown command `{other}`");
            exit(2)
        }
    }
}

// wasi:io 0.2: input and output streams (over a file and stdout), pollables and poll.
//! * {"dirs": ["fs.dir"]}
//! write_then_flush_reaches_stdout {"stdout": "written"}
//! write_zeroes_writes_zero_bytes {"stdout": "\u0000\u0000\u0000"}
//! blocking_write_zeroes_and_flush_writes_zero_bytes {"stdout": "\u0000\u0000"}
//! splice_copies_a_file_to_stdout {"stdout": "hello"}
//! blocking_splice_copies_a_file_to_stdout {"stdout": "hello, file\n"}
//! read_gives_bytes_then_closed {"mandated": "WIT wasi:filesystem/types@0.2.12 read-via-stream: reads the file from the offset, like POSIX read; wasi:io/streams@0.2.12 read: up to len bytes, verbatim; subscribe: ready on data or end; closed once no input is left"}
//! blocking_read_at_the_end_is_closed {"mandated": "WIT wasi:io/streams@0.2.12 blocking-read: blocks until a byte can be read, else as read, which fails with closed when no more input will come, as past the last byte of a file stream (read-via-stream, like POSIX read)"}
//! skip_passes_over_bytes {"mandated": "WIT wasi:io/streams@0.2.12 skip: behaves as read but returns the number of bytes consumed, so after 7 skipped the next read gives the file's bytes from offset 7"}
//! blocking_skip_at_the_end_is_closed {"mandated": "WIT wasi:io/streams@0.2.12 blocking-skip: skip after blocking; skip consumes bytes as read does (the file's 12), then fails with closed as read does when no more input will come"}
//! write_then_flush_reaches_stdout {"mandated": "WIT wasi:io/streams@0.2.12: check-write permits bytes, write writes them verbatim, flush and blocking-flush flush all written before them; wasi:cli/stdout@0.2.12 get-stdout: the program's standard output"}
//! write_zeroes_writes_zero_bytes {"mandated": "WIT wasi:io/streams@0.2.12 write-zeroes: used like write (after check-write) but writes that many zero bytes; blocking-flush flushes all written before it"}
//! blocking_write_zeroes_and_flush_writes_zero_bytes {"mandated": "WIT wasi:io/streams@0.2.12 blocking-write-zeroes-and-flush: equivalent to blocking-write-and-flush with len zero bytes as contents"}
//! splice_copies_a_file_to_stdout {"mandated": "WIT wasi:io/streams@0.2.12 splice: check-write, then read from the input up to the smaller of that permit and len, then write it; returns the bytes moved, so 5 in all copy the file's first 5"}
//! blocking_splice_copies_a_file_to_stdout {"mandated": "WIT wasi:io/streams@0.2.12 blocking-splice: splice after blocking until both streams are ready; repeated until read's closed ends it, it copies the whole file (read-via-stream, like POSIX read)"}
//! poll_returns_the_ready_ones {"mandated": "WIT wasi:io/poll@0.2.12 poll: waits until one or more pollables are ready and returns the indices of the ready ones; wasi:clocks/monotonic-clock subscribe-duration: a zero duration is ready, an hour is not"}
//! poll_waits_for_one {"mandated": "WIT wasi:io/poll@0.2.12 poll: waits until one or more pollables are ready and returns the indices of the ready ones; wasi:clocks/monotonic-clock subscribe-duration: 2 ms resolves long before an hour"}
use guest::{case, check, check_eq, ok, preopen};
use wasip2::cli::stdout;
use wasip2::filesystem::types::{Descriptor, DescriptorFlags, OpenFlags, PathFlags};
use wasip2::io::poll;
use wasip2::io::streams::{InputStream, StreamError};

/// `fs.dir/file.txt` ("hello, file\n") for reading, from its start.
fn file() -> Option<(Descriptor, InputStream)> {
    let dir = preopen("fs.dir")?;
    let file = dir
        .open_at(PathFlags::empty(), "file.txt", OpenFlags::empty(), DescriptorFlags::READ)
        .ok()?;
    let stream = file.read_via_stream(0).ok()?;
    Some((file, stream))
}

fn main() {
    guest::main(&[
        case!(read_gives_bytes_then_closed, "wasi:io/streams#[method]input-stream.read wasi:io/poll#[method]pollable.block wasi:io/streams#[method]input-stream.subscribe", {
            let Some((_file, input)) = file() else { return };
            let mut all = Vec::new();
            loop {
                input.subscribe().block();
                match input.read(4) {
                    Ok(bytes) => {
                        check!(bytes.len() <= 4);
                        all.extend(bytes);
                    }
                    Err(StreamError::Closed) => break,
                    Err(e) => {
                        guest::fail(line!(), format_args!("read: {e:?}"));
                        return;
                    }
                }
            }
            check_eq!(all, b"hello, file\n".to_vec());
        }),
        case!(blocking_read_at_the_end_is_closed, "wasi:io/streams#[method]input-stream.blocking-read", {
            let Some((_file, input)) = file() else { return };
            let mut all = Vec::new();
            while let Ok(bytes) = input.blocking_read(100) {
                all.extend(bytes);
            }
            check_eq!(all, b"hello, file\n".to_vec());
            check!(matches!(input.blocking_read(1), Err(StreamError::Closed)));
        }),
        case!(skip_passes_over_bytes, "wasi:io/streams#[method]input-stream.skip wasi:io/streams#[method]input-stream.blocking-read", {
            let Some((_file, input)) = file() else { return };
            input.subscribe().block();
            let mut skipped = 0;
            while skipped < 7 {
                skipped += ok!(input.skip(7 - skipped));
                input.subscribe().block();
            }
            check_eq!(ok!(input.blocking_read(4)), b"file".to_vec());
        }),
        case!(blocking_skip_at_the_end_is_closed, "wasi:io/streams#[method]input-stream.blocking-skip", {
            let Some((_file, input)) = file() else { return };
            let mut skipped = 0;
            while let Ok(n) = input.blocking_skip(100) {
                skipped += n;
            }
            check_eq!(skipped, 12);
            check!(matches!(input.blocking_skip(1), Err(StreamError::Closed)));
        }),
        case!(write_then_flush_reaches_stdout, "wasi:io/streams#[method]output-stream.check-write wasi:io/streams#[method]output-stream.write wasi:io/streams#[method]output-stream.flush wasi:io/streams#[method]output-stream.blocking-flush wasi:io/streams#[method]output-stream.subscribe", {
            let out = stdout::get_stdout();
            out.subscribe().block();
            let permit = ok!(out.check_write());
            check!(permit >= 7);
            ok!(out.write(b"written"));
            ok!(out.flush());
            ok!(out.blocking_flush());
        }),
        case!(write_zeroes_writes_zero_bytes, "wasi:io/streams#[method]output-stream.write-zeroes", {
            let out = stdout::get_stdout();
            out.subscribe().block();
            check!(ok!(out.check_write()) >= 3);
            ok!(out.write_zeroes(3));
            ok!(out.blocking_flush());
        }),
        case!(blocking_write_zeroes_and_flush_writes_zero_bytes, "wasi:io/streams#[method]output-stream.blocking-write-zeroes-and-flush", {
            ok!(stdout::get_stdout().blocking_write_zeroes_and_flush(2));
        }),
        case!(splice_copies_a_file_to_stdout, "wasi:io/streams#[method]output-stream.splice", {
            let Some((_file, input)) = file() else { return };
            let out = stdout::get_stdout();
            let mut copied = 0;
            while copied < 5 {
                input.subscribe().block();
                out.subscribe().block();
                copied += ok!(out.splice(&input, 5 - copied));
            }
            ok!(out.blocking_flush());
        }),
        case!(blocking_splice_copies_a_file_to_stdout, "wasi:io/streams#[method]output-stream.blocking-splice", {
            let Some((_file, input)) = file() else { return };
            let out = stdout::get_stdout();
            while let Ok(n) = out.blocking_splice(&input, 100) {
                if n == 0 {
                    break;
                }
            }
            ok!(out.blocking_flush());
        }),
        case!(poll_returns_the_ready_ones, "wasi:io/poll#poll", {
            let ready = wasip2::clocks::monotonic_clock::subscribe_duration(0);
            let later = wasip2::clocks::monotonic_clock::subscribe_duration(3_600_000_000_000);
            check_eq!(poll::poll(&[&later, &ready]), vec![1]);
        }),
        case!(poll_waits_for_one, "wasi:io/poll#poll", {
            let soon = wasip2::clocks::monotonic_clock::subscribe_duration(2_000_000);
            let later = wasip2::clocks::monotonic_clock::subscribe_duration(3_600_000_000_000);
            check_eq!(poll::poll(&[&soon, &later]), vec![0]);
        }),
    ])
}

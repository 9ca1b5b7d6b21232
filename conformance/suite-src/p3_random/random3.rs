// wasi:random 0.3: secure and insecure random bytes, and the insecure seed.
//! get_random_bytes_gives_at_most_as_many_as_asked {"mandated": "WIT wasi:random/random@0.3.0 get-random-bytes: up to max-len bytes and at least 1 when max-len is above zero, always fresh and unpredictable data, so a second call differs"}
//! get_random_u64_differs_call_to_call {"mandated": "WIT wasi:random/random@0.3.0 get-random-u64: cryptographically-secure random data like get-random-bytes, which must always be fresh, so four values are not all equal"}
//! get_insecure_random_bytes_gives_at_most_as_many_as_asked {"mandated": "WIT wasi:random/insecure@0.3.0 get-insecure-random-bytes: up to max-len bytes, at least 1 when max-len is above zero, and an empty list without trapping when it is zero"}
//! get_insecure_seed_answers {"mandated": "WIT wasi:random/insecure-seed@0.3.0 get-insecure-seed: returns a 128-bit value (two u64) that need not be random or even vary, so any answer is right; the call must simply return"}
//! get_insecure_random_u64_differs_call_to_call {"implementation_defined": {"why": "WIT wasi:random/insecure@0.3.0: there are no requirements on the values returned, though implementations are encouraged to return evenly distributed values with a long period. Values that differ call to call are preferred; four equal ones are allowed (the guest exits 3)", "also": [{"exit_code": 3}]}}
use guest::{case, check, check_eq};
use wasip3::random::{insecure, insecure_seed, random};

guest::p3_main!(
    case!(get_random_bytes_gives_at_most_as_many_as_asked, "wasi:random/random@0.3#get-random-bytes", async {
        // 0.3 asks for at most `max-len` bytes.
        let a = random::get_random_bytes(64);
        check!(!a.is_empty() && a.len() <= 64);
        check!(a != random::get_random_bytes(64));
    }),
    case!(get_random_u64_differs_call_to_call, "wasi:random/random@0.3#get-random-u64", async {
        let values: Vec<u64> = (0..4).map(|_| random::get_random_u64()).collect();
        check!(values.windows(2).any(|w| w[0] != w[1]));
    }),
    case!(get_insecure_random_bytes_gives_at_most_as_many_as_asked, "wasi:random/insecure@0.3#get-insecure-random-bytes", async {
        let a = insecure::get_insecure_random_bytes(100);
        check!(!a.is_empty() && a.len() <= 100);
        check_eq!(insecure::get_insecure_random_bytes(0).len(), 0);
    }),
    case!(get_insecure_random_u64_differs_call_to_call, "wasi:random/insecure@0.3#get-insecure-random-u64", async {
        let values: Vec<u64> = (0..4).map(|_| insecure::get_insecure_random_u64()).collect();
        // Exit 3: four equal values (implementation-defined, see the spec).
        if values.windows(2).all(|w| w[0] == w[1]) {
            wasip3::cli::exit::exit_with_code(3);
        }
    }),
    case!(get_insecure_seed_answers, "wasi:random/insecure-seed@0.3#get-insecure-seed", async {
        let _ = insecure_seed::get_insecure_seed();
    }),
);

// wasi:random 0.2: secure and insecure random bytes, and the insecure seed.
//! get_random_bytes_gives_as_many_as_asked {"mandated": "WIT wasi:random/random@0.2.12 get-random-bytes: returns len cryptographically-secure random bytes, always fresh and unpredictable, so two 64-byte draws differ and are not all zero"}
//! get_random_bytes_of_zero_is_empty {"mandated": "WIT wasi:random/random@0.2.12 get-random-bytes: returns len bytes, so none for len 0"}
//! get_random_u64_differs_call_to_call {"mandated": "WIT wasi:random/random@0.2.12 get-random-u64: the same fresh, unpredictable data as get-random-bytes, as a u64, so four calls are not all equal"}
//! get_insecure_random_bytes_gives_as_many_as_asked {"mandated": "WIT wasi:random/insecure@0.2.12 get-insecure-random-bytes: returns len insecure pseudo-random bytes (100, and none for 0)"}
//! insecure_seed_answers {"mandated": "WIT wasi:random/insecure-seed@0.2.12 insecure-seed: returns a 128-bit value, which may even be deterministic; the case checks only that it answers"}
//! get_insecure_random_u64_differs_call_to_call {"implementation_defined": {"why": "WIT wasi:random/insecure@0.2: there are no requirements on the values returned, though implementations are encouraged to return evenly distributed values with a long period. Values that differ call to call are preferred; four equal ones are allowed (the guest exits 3)", "also": [{"exit_code": 3}]}}
use guest::{case, check, check_eq};
use wasip2::random::{insecure, insecure_seed, random};

fn main() {
    guest::main(&[
        case!(get_random_bytes_gives_as_many_as_asked, "wasi:random/random#get-random-bytes", {
            let a = random::get_random_bytes(64);
            let b = random::get_random_bytes(64);
            check_eq!(a.len(), 64);
            check!(a != b);
            check!(a.iter().any(|x| *x != 0));
        }),
        case!(get_random_bytes_of_zero_is_empty, "wasi:random/random#get-random-bytes", {
            check_eq!(random::get_random_bytes(0).len(), 0);
        }),
        case!(get_random_u64_differs_call_to_call, "wasi:random/random#get-random-u64", {
            let values: Vec<u64> = (0..4).map(|_| random::get_random_u64()).collect();
            check!(values.windows(2).any(|w| w[0] != w[1]));
        }),
        case!(get_insecure_random_bytes_gives_as_many_as_asked, "wasi:random/insecure#get-insecure-random-bytes", {
            check_eq!(insecure::get_insecure_random_bytes(100).len(), 100);
            check_eq!(insecure::get_insecure_random_bytes(0).len(), 0);
        }),
        case!(get_insecure_random_u64_differs_call_to_call, "wasi:random/insecure#get-insecure-random-u64", {
            let values: Vec<u64> = (0..4).map(|_| insecure::get_insecure_random_u64()).collect();
            // Exit 3: four equal values (implementation-defined, see the spec).
            if values.windows(2).all(|w| w[0] == w[1]) {
                wasip2::cli::exit::exit_with_code(3);
            }
        }),
        case!(insecure_seed_answers, "wasi:random/insecure-seed#insecure-seed", {
            // The WIT promises only a 128-bit value ("may even be entirely deterministic").
            let _ = insecure_seed::insecure_seed();
        }),
    ])
}

// wasi:random 0.2: secure and insecure random bytes, and the insecure seed.
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
            check!(values.windows(2).any(|w| w[0] != w[1]));
        }),
        case!(insecure_seed_answers, "wasi:random/insecure-seed#insecure-seed", {
            // The WIT promises only a 128-bit value ("may even be entirely deterministic").
            let _ = insecure_seed::insecure_seed();
        }),
    ])
}

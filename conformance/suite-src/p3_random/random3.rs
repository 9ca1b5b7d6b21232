// wasi:random 0.3: secure and insecure random bytes, and the insecure seed.
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
        check!(values.windows(2).any(|w| w[0] != w[1]));
    }),
    case!(get_insecure_seed_answers, "wasi:random/insecure-seed@0.3#get-insecure-seed", async {
        let _ = insecure_seed::get_insecure_seed();
    }),
);

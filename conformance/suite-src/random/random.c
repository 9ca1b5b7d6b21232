/* random_get. */
#include "check.h"

//! random_get_fills_the_buffer {"mandated": "witx random_get: writes high-quality random data into the buffer, so two 64-byte draws differ and few bytes are zero (the chance of failing either check is negligible)"}
CASE(random_get_fills_the_buffer, "random_get") {
    uint8_t a[64] = {0}, b[64] = {0};
    EXPECT_OK(__wasi_random_get(a, sizeof a));
    EXPECT_OK(__wasi_random_get(b, sizeof b));
    EXPECT(memcmp(a, b, sizeof a) != 0);
    int zeros = 0;
    for (unsigned i = 0; i < sizeof a; i++) zeros += a[i] == 0;
    EXPECT(zeros < 16);
}

//! random_get_of_nothing_succeeds {"mandated": "witx random_get: fills buf with buf_len bytes of random data and names no failure; a buf_len of 0 is a valid size that asks for nothing"}
CASE(random_get_of_nothing_succeeds, "random_get") {
    uint8_t a[1];
    EXPECT_OK(__wasi_random_get(a, 0));
}

//! random_get_out_of_bounds_is_efault {"implementation_defined": {"why": "WASI preview 1 does not say what a function does with a guest pointer outside memory: its `errno` list has `fault` (\"Bad address.\") but says not every code is returned by its functions, and no function names it. EFAULT is preferred; another error, or a trap, is allowed", "also": ["errno", "trap"]}}
CASE(random_get_out_of_bounds_is_efault, "random_get") {
    uint8_t *p = (uint8_t *)(__builtin_wasm_memory_size(0) * 65536 - 8);
    EXPECT_ERRNO(__wasi_random_get(p, 64), __WASI_ERRNO_FAULT);
}

/* args_get, args_sizes_get, environ_get, environ_sizes_get. argv[0] is the runner's choice,
 * so only argv[1..] is compared. */
#include "check.h"

/* An address where any write runs past the end of linear memory. */
static uint8_t *past_end(void) {
    return (uint8_t *)(__builtin_wasm_memory_size(0) * 65536 - 2);
}

//! args_sizes_get_counts {"args": ["a", "bc"]}
//! args_sizes_get_counts {"mandated": "witx args_get: the first argument should be the program's name, the rest are the user's arguments, each NUL-terminated; witx args_sizes_get: returns the argument count and the size of that string data (argv[0] + 1, then 2 and 3 bytes)"}
CASE(args_sizes_get_counts, "args_sizes_get args_get") {
    __wasi_size_t argc, size;
    EXPECT_OK(__wasi_args_sizes_get(&argc, &size));
    EXPECT_EQ(argc, 3);
    uint8_t *argv[3], buf[512];
    EXPECT_OK(__wasi_args_get(argv, buf));
    EXPECT_EQ(size, strlen((char *)argv[0]) + 1 + 2 + 3);
}

//! args_get_values {"args": ["a", "b c", "", "-x=y"]}
//! args_get_values {"mandated": "witx args_get: after the program's name come the arguments the user passed, each NUL-terminated, so b c, the empty string and -x=y come back as given"}
CASE(args_get_values, "args_get args_sizes_get") {
    __wasi_size_t argc, size;
    EXPECT_OK(__wasi_args_sizes_get(&argc, &size));
    EXPECT_EQ(argc, 5);
    uint8_t *argv[5], buf[512];
    if (argc != 5 || size > sizeof buf) return;
    EXPECT_OK(__wasi_args_get(argv, buf));
    EXPECT(strcmp((char *)argv[1], "a") == 0);
    EXPECT(strcmp((char *)argv[2], "b c") == 0);
    EXPECT(strcmp((char *)argv[3], "") == 0);
    EXPECT(strcmp((char *)argv[4], "-x=y") == 0);
}

//! args_sizes_get_without_args {"mandated": "witx args_get: the first argument should be the program's name and the following ones are the user's arguments, so with none passed args_sizes_get counts 1"}
CASE(args_sizes_get_without_args, "args_sizes_get") {
    __wasi_size_t argc, size;
    EXPECT_OK(__wasi_args_sizes_get(&argc, &size));
    EXPECT_EQ(argc, 1);
}

//! args_get_out_of_bounds_is_efault {"implementation_defined": {"why": "WASI preview 1 does not say what a function does with a guest pointer outside memory: its `errno` list has `fault` (\"Bad address.\") but says not every code is returned by its functions, and no function names it. EFAULT is preferred; another error, or a trap, is allowed", "also": ["errno", "trap"]}}
CASE(args_get_out_of_bounds_is_efault, "args_get") {
    uint8_t *argv[1];
    EXPECT_ERRNO(__wasi_args_get(argv, past_end()), __WASI_ERRNO_FAULT);
}

//! args_sizes_get_out_of_bounds_is_efault {"implementation_defined": {"why": "WASI preview 1 does not say what a function does with a guest pointer outside memory: its `errno` list has `fault` (\"Bad address.\") but says not every code is returned by its functions, and no function names it. EFAULT is preferred; another error, or a trap, is allowed", "also": ["errno", "trap"]}}
CASE(args_sizes_get_out_of_bounds_is_efault, "args_sizes_get") {
    __wasi_size_t argc;
    EXPECT_ERRNO(__wasi_args_sizes_get(&argc, (__wasi_size_t *)past_end()), __WASI_ERRNO_FAULT);
}

//! environ_sizes_get_counts {"env": {"A": "1", "BB": "22"}}
//! environ_sizes_get_counts {"mandated": "witx environ_get: each variable is its key and value joined with `=` and NUL-terminated; witx environ_sizes_get: returns the variable count and the size of that data (A=1 and BB=22 with a NUL each: 2 variables, 10 bytes)"}
CASE(environ_sizes_get_counts, "environ_sizes_get") {
    __wasi_size_t count, size;
    EXPECT_OK(__wasi_environ_sizes_get(&count, &size));
    EXPECT_EQ(count, 2);
    EXPECT_EQ(size, 4 + 6);
}

//! environ_get_values {"env": {"A": "1", "EMPTY": "", "EQ": "x=y"}}
//! environ_get_values {"mandated": "witx environ_get: each variable is its key and value joined with `=` and NUL-terminated, so an empty value gives EMPTY= and a value holding `=` is kept whole (EQ=x=y)"}
CASE(environ_get_values, "environ_get environ_sizes_get") {
    __wasi_size_t count, size;
    EXPECT_OK(__wasi_environ_sizes_get(&count, &size));
    EXPECT_EQ(count, 3);
    uint8_t *env[3], buf[256];
    if (count != 3 || size > sizeof buf) return;
    EXPECT_OK(__wasi_environ_get(env, buf));
    int seen = 0;
    for (int i = 0; i < 3; i++) {
        if (strcmp((char *)env[i], "A=1") == 0) seen |= 1;
        if (strcmp((char *)env[i], "EMPTY=") == 0) seen |= 2;
        if (strcmp((char *)env[i], "EQ=x=y") == 0) seen |= 4;
    }
    EXPECT_EQ(seen, 7);
}

//! environ_is_empty_by_default {"mandated": "wasiport RunConfig::env: the guest's environment is exactly the variables the run sets, none by default (as wasi-testsuite's runner passes only a spec's env); witx environ_sizes_get: returns the number of environment variables"}
CASE(environ_is_empty_by_default, "environ_sizes_get environ_get") {
    __wasi_size_t count, size;
    EXPECT_OK(__wasi_environ_sizes_get(&count, &size));
    EXPECT_EQ(count, 0);
    EXPECT_EQ(size, 0);
}

//! environ_get_out_of_bounds_is_efault {"env": {"A": "1"}}
//! environ_get_out_of_bounds_is_efault {"implementation_defined": {"why": "WASI preview 1 does not say what a function does with a guest pointer outside memory: its `errno` list has `fault` (\"Bad address.\") but says not every code is returned by its functions, and no function names it. EFAULT is preferred; another error, or a trap, is allowed", "also": ["errno", "trap"]}}
CASE(environ_get_out_of_bounds_is_efault, "environ_get") {
    uint8_t *env[1];
    EXPECT_ERRNO(__wasi_environ_get(env, past_end()), __WASI_ERRNO_FAULT);
}

//! environ_sizes_get_out_of_bounds_is_efault {"implementation_defined": {"why": "WASI preview 1 does not say what a function does with a guest pointer outside memory: its `errno` list has `fault` (\"Bad address.\") but says not every code is returned by its functions, and no function names it. EFAULT is preferred; another error, or a trap, is allowed", "also": ["errno", "trap"]}}
CASE(environ_sizes_get_out_of_bounds_is_efault, "environ_sizes_get") {
    __wasi_size_t count;
    EXPECT_ERRNO(__wasi_environ_sizes_get(&count, (__wasi_size_t *)past_end()),
                 __WASI_ERRNO_FAULT);
}

/* sched_yield: no error is defined for it. */
#include "check.h"

//! sched_yield_succeeds {"mandated": "witx sched_yield: similar to sched_yield in POSIX; POSIX.1-2017 sched_yield(): returns 0 on success and defines no errors"}
CASE(sched_yield_succeeds, "sched_yield") {
    for (int i = 0; i < 3; i++) EXPECT_OK(__wasi_sched_yield());
}

/* sched_yield: no error is defined for it. */
#include "check.h"

CASE(sched_yield_succeeds, "sched_yield") {
    for (int i = 0; i < 3; i++) EXPECT_OK(__wasi_sched_yield());
}

// Run-time instruction-set selection. Every ISA-specific function is compiled with
// __attribute__((target(...))) and only called after this check, so the package needs no
// compiler flags (unsafeFlags would make it unusable as a versioned dependency).
#include "loom_kernels.h"
#include "gemm_common.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static _Atomic int g_detected = -1;
static _Atomic int g_active = -1;
// A path forced by loom_set_isa on this thread (-1: none). Per thread, so a test comparing
// paths never changes the results another thread is computing at the same time.
static _Thread_local int t_forced = -1;

static loom_isa detect(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    // __builtin_cpu_supports also checks that the OS saves the wider register state (XCR0),
    // so a VM that hides AVX-512 state is reported as not supporting it.
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"))
        return LOOM_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return LOOM_ISA_AVX2;
#endif
    return LOOM_ISA_PORTABLE;
}

loom_isa loom_detected_isa(void) {
    int d = atomic_load_explicit(&g_detected, memory_order_acquire);
    if (d < 0) {
        d = (int)detect();
        atomic_store_explicit(&g_detected, d, memory_order_release);
    }
    return (loom_isa)d;
}

static loom_isa clamp_isa(int isa) {
    int d = (int)loom_detected_isa();
    if (isa < 0) isa = 0;
    return (loom_isa)(isa > d ? d : isa);
}

loom_isa loom_active_isa(void) {
    if (t_forced >= 0) return (loom_isa)t_forced;
    int a = atomic_load_explicit(&g_active, memory_order_acquire);
    if (a < 0) {
        // LOOM_ISA=portable|avx2|avx512 lowers the path for a whole process (benchmarks,
        // debugging); it can never raise it above what the CPU supports.
        int want = (int)loom_detected_isa();
        const char *env = getenv("LOOM_ISA");
        if (env) {
            if (strcmp(env, "portable") == 0) want = LOOM_ISA_PORTABLE;
            else if (strcmp(env, "avx2") == 0) want = LOOM_ISA_AVX2;
            else if (strcmp(env, "avx512") == 0) want = LOOM_ISA_AVX512;
        }
        a = (int)clamp_isa(want);
        int expected = -1;
        if (!atomic_compare_exchange_strong(&g_active, &expected, a)) a = expected;
    }
    return (loom_isa)a;
}

loom_isa loom_set_isa(loom_isa isa) {
    loom_isa a = clamp_isa((int)isa);
    t_forced = (int)a;
    return a;
}

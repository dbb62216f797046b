// Portable GEMM kernels: the same packed, blocked structure with 16-byte generic vectors
// (clang/GCC vector extensions -> SSE2 on baseline x86-64, NEON on arm64). The fallback when
// the CPU has neither AVX2+FMA nor AVX-512, and the reference path the tests compare against.
#include <string.h>

#include "gemm_common.h"

#define ATTR
typedef float loom_v4f __attribute__((vector_size(16)));
typedef double loom_v2d __attribute__((vector_size(16)));

static inline loom_v4f loom_loadu_v4f(const float *p) { loom_v4f v; memcpy(&v, p, sizeof v); return v; }
static inline void loom_storeu_v4f(float *p, loom_v4f v) { memcpy(p, &v, sizeof v); }
static inline loom_v2d loom_loadu_v2d(const double *p) { loom_v2d v; memcpy(&v, p, sizeof v); return v; }
static inline void loom_storeu_v2d(double *p, loom_v2d v) { memcpy(p, &v, sizeof v); }

#define V_LOAD(p) (*(const VT *)(p))
#define V_FMA(a, b, c) ((a) * (b) + (c))
#define V_MUL(a, b) ((a) * (b))
// x where x > 0 or NaN (a comparison of vectors gives lanes of all ones or all zeros), else +0.
static inline loom_v4f loom_relu_v4f(loom_v4f x) { return (loom_v4f)((__typeof__(x > 0))x & ((x > 0) | (x != x))); }
static inline loom_v2d loom_relu_v2d(loom_v2d x) { return (loom_v2d)((__typeof__(x > 0))x & ((x > 0) | (x != x))); }

// 4 x 8 floats = 8 accumulators of 16 x 16-byte registers (SSE2 has 16 xmm).
// Four k steps per loop trip and C prefetched, as on AVX2: 5-12% on 128x784x512 and 1024^3 (one
// process, alternating calls against the one-step loop, Zen 3).
#define T float
#define VT loom_v4f
#define VLEN 4
#define KMR 4
#define KNV 2
#define KC_ 256
#define MC_ 128
#define NC_ 2048
#define PFX portable_s
#define DESC_T loom_gemm_desc_s
#define V_ZERO ((loom_v4f){0, 0, 0, 0})
#define V_LOADU(p) loom_loadu_v4f(p)
#define V_STOREU(p, v) loom_storeu_v4f(p, v)
#define V_SET1(x) ((loom_v4f){(x), (x), (x), (x)})
#define V_RELU(x) loom_relu_v4f(x)
#define V_HSUM(v) (((v)[0] + (v)[2]) + ((v)[1] + (v)[3]))
#define KUNROLL 4
#define PREFETCH_C 1
#define DMR 2
#define DNB 6
#include "gemm_kernel_impl.h"
#undef T
#undef VT
#undef VLEN
#undef PFX
#undef DESC_T
#undef V_ZERO
#undef V_LOADU
#undef V_STOREU
#undef V_SET1
#undef V_RELU
#undef V_HSUM

#define T double
#define VT loom_v2d
#define VLEN 2
#define PFX portable_d
#define DESC_T loom_gemm_desc_d
#define V_ZERO ((loom_v2d){0, 0})
#define V_LOADU(p) loom_loadu_v2d(p)
#define V_STOREU(p, v) loom_storeu_v2d(p, v)
#define V_SET1(x) ((loom_v2d){(x), (x)})
#define V_RELU(x) loom_relu_v2d(x)
#define V_HSUM(v) ((v)[0] + (v)[1])
#define KUNROLL 4
#define PREFETCH_C 1
#define DMR 2
#define DNB 6
#include "gemm_kernel_impl.h"

const loom_gemm_desc_s *loom_gemm_portable_s(void) { return &portable_s_desc; }
const loom_gemm_desc_d *loom_gemm_portable_d(void) { return &portable_d_desc; }

// AVX2 + FMA GEMM kernels (ymm registers). Compiled for that ISA only via the target
// attribute; loom_gemm_avx2_* are only called when loom_active_isa() says the CPU has it.
#include "gemm_common.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define ATTR __attribute__((target("avx2,fma")))
#define V_ZERO _mm256_setzero_ps()
#define V_LOAD(p) _mm256_load_ps(p)
#define V_LOADU(p) _mm256_loadu_ps(p)
#define V_STOREU(p, v) _mm256_storeu_ps(p, v)
#define V_SET1(x) _mm256_set1_ps(x)
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_MUL(a, b) _mm256_mul_ps(a, b)

// float: 6 x 16 tile = 12 ymm accumulators + 2 B vectors + 1 broadcast (of 16 registers), the
// classic Haswell shape. KC = 256 keeps the B micro-panel (256 x 16 floats = 16 KiB) in L1.
#define T float
#define VT __m256
#define VLEN 8
#define KMR 6
#define KNV 2
#define KC_ 256
#define MC_ 144
#define NC_ 4096
#define PFX avx2_s
#define DESC_T loom_gemm_desc_s
#include "gemm_kernel_impl.h"
#undef T
#undef VT
#undef VLEN
#undef KMR
#undef KNV
#undef KC_
#undef MC_
#undef NC_
#undef PFX
#undef DESC_T
#undef V_ZERO
#undef V_LOAD
#undef V_LOADU
#undef V_STOREU
#undef V_SET1
#undef V_FMA
#undef V_MUL

#define V_ZERO _mm256_setzero_pd()
#define V_LOAD(p) _mm256_load_pd(p)
#define V_LOADU(p) _mm256_loadu_pd(p)
#define V_STOREU(p, v) _mm256_storeu_pd(p, v)
#define V_SET1(x) _mm256_set1_pd(x)
#define V_FMA(a, b, c) _mm256_fmadd_pd(a, b, c)
#define V_MUL(a, b) _mm256_mul_pd(a, b)

// double: 6 x 8 tile, the same register shape with 4 lanes.
#define T double
#define VT __m256d
#define VLEN 4
#define KMR 6
#define KNV 2
#define KC_ 256
#define MC_ 96
#define NC_ 2048
#define PFX avx2_d
#define DESC_T loom_gemm_desc_d
#include "gemm_kernel_impl.h"

const loom_gemm_desc_s *loom_gemm_avx2_s(void) { return &avx2_s_desc; }
const loom_gemm_desc_d *loom_gemm_avx2_d(void) { return &avx2_d_desc; }
#endif

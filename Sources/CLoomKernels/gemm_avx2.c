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
#define V_RELU(x) _mm256_and_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_NLE_UQ), x)
#define V_HSUM(v) avx2_hsum_ps(v)
#define V_LOADN(p, n) avx2_loadn_ps(p, n)
#define V_TRANSPOSE(in, out) avx2_transpose_ps(in, out)

// The sum of a vector's lanes (the dot-product tile's last step): halves added, then quarters.
ATTR static inline float avx2_hsum_ps(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    return _mm_cvtss_f32(_mm_add_ss(x, _mm_movehdup_ps(x)));
}
ATTR static inline double avx2_hsum_pd(__m256d v) {
    __m128d x = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(x, _mm_unpackhi_pd(x, x)));
}

// 8 x 8 floats transposed in registers (24 shuffles): lane i of out[j] is lane j of in[i].
ATTR static inline __attribute__((always_inline)) void avx2_transpose_ps(const __m256 *in, __m256 *out) {
    // t: pairs of inputs interleaved; u: lanes (within each 128-bit half) hold inputs 0-3 or
    // 4-7 at one lane j; the 128-bit halves then give outputs j and j + 4.
    __m256 t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(in[2 * i], in[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(in[2 * i], in[2 * i + 1]);
    }
    for (int h = 0; h < 2; h++) {
        u[4 * h] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
        u[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
        u[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
        u[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
    }
    for (int q = 0; q < 4; q++) {
        out[q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x20);
        out[q + 4] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x31);
    }
}

// 4 x 4 doubles (8 shuffles).
ATTR static inline __attribute__((always_inline)) void avx2_transpose_pd(const __m256d *in, __m256d *out) {
    const __m256d t0 = _mm256_unpacklo_pd(in[0], in[1]), t1 = _mm256_unpackhi_pd(in[0], in[1]);
    const __m256d t2 = _mm256_unpacklo_pd(in[2], in[3]), t3 = _mm256_unpackhi_pd(in[2], in[3]);
    out[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    out[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    out[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    out[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

// The first n lanes from p, the rest zero (lanes past n are not read).
ATTR static inline __m256 avx2_loadn_ps(const float *p, int n) {
    return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
}
ATTR static inline __m256d avx2_loadn_pd(const double *p, int n) {
    return _mm256_maskload_pd(p, _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3)));
}

// Packs a full 16-column panel of a column-contiguous B (element (p, j) at src[j*cs + p], the
// Wᵀ of an MLP's input gradient dX = dY · Wᵀ): 8x8 blocks are loaded as 8 columns, transposed
// in registers and stored as 8 packed rows, instead of 64 scalar loads from addresses a whole
// row of W apart. The scalar column loop was 6% of an MLP training step.
ATTR static void avx2_s_pack_bt(int64_t kc, const float *src, int64_t cs, float *dst) {
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
        for (int g = 0; g < 2; g++) {
            __m256 r[8], t[8];
            for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + (g * 8 + i) * cs + p);
            avx2_transpose_ps(r, t);
            for (int i = 0; i < 8; i++) _mm256_storeu_ps(dst + (p + i) * 16 + g * 8, t[i]);
        }
    }
    for (; p < kc; p++)
        for (int j = 0; j < 16; j++) dst[p * 16 + j] = src[j * cs + p];
}

// The same for double: an 8-column panel as two 4x4 blocks per 4 values of p.
ATTR static void avx2_d_pack_bt(int64_t kc, const double *src, int64_t cs, double *dst) {
    int64_t p = 0;
    for (; p + 4 <= kc; p += 4) {
        for (int g = 0; g < 2; g++) {
            __m256d r[4], t[4];
            for (int i = 0; i < 4; i++) r[i] = _mm256_loadu_pd(src + (g * 4 + i) * cs + p);
            avx2_transpose_pd(r, t);
            for (int i = 0; i < 4; i++) _mm256_storeu_pd(dst + (p + i) * 8 + g * 4, t[i]);
        }
    }
    for (; p < kc; p++)
        for (int j = 0; j < 8; j++) dst[p * 8 + j] = src[j * cs + p];
}

// float: 6 x 16 tile = 12 ymm accumulators + 2 B vectors + 1 broadcast (of 16 registers), the
// classic Haswell shape. KC = 512 (the B micro-panel, up to 512 x 16 floats = 32 KiB, then
// leaves L1 for L2, as AVX-512's does): k = 784 in two blocks instead of four and k = 512 in
// one, so fewer passes over C. Against KC = 256 (stop 28, Zen 4, one process, alternating
// calls, 10-12 pairs): 1024x784x512 1.03-1.04x on 1 and 2 threads, 128x784x512 1.03x,
// 1024x512x512 1.04x on 2, 1024^3 0.98x on 1; shapes with k = 128 unchanged. MC (96, 144,
// 288) made no difference; the A block, 144 x 512 floats = 288 KiB, fits Zen 3's 512 KiB L2.
// Four k steps per loop trip and C prefetched (gemm_kernel_impl.h): measured in one process
// against the loop of one step without prefetch, alternating calls (Zen 3, 40 pairs), the MLP's
// float products ran 3-13% faster, 1024^3 18-21%, float64 1,210^3 27-43%.
#define PACK_B_TRANSPOSED avx2_s_pack_bt
#define T float
#define VT __m256
#define VLEN 8
#define KMR 6
#define KNV 2
#define KC_ 512
#define MC_ 144
#define NC_ 4096
#define PFX avx2_s
#define DESC_T loom_gemm_desc_s
#define KUNROLL 4
#define PREFETCH_C 1
#define DMR 2
#define DNB 6
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
#undef PACK_B_TRANSPOSED
#undef V_ZERO
#undef V_LOAD
#undef V_LOADU
#undef V_STOREU
#undef V_SET1
#undef V_FMA
#undef V_MUL
#undef V_RELU
#undef V_HSUM
#undef V_LOADN
#undef V_TRANSPOSE

#define V_ZERO _mm256_setzero_pd()
#define V_LOAD(p) _mm256_load_pd(p)
#define V_LOADU(p) _mm256_loadu_pd(p)
#define V_STOREU(p, v) _mm256_storeu_pd(p, v)
#define V_SET1(x) _mm256_set1_pd(x)
#define V_FMA(a, b, c) _mm256_fmadd_pd(a, b, c)
#define V_MUL(a, b) _mm256_mul_pd(a, b)
#define V_RELU(x) _mm256_and_pd(_mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_NLE_UQ), x)
#define V_HSUM(v) avx2_hsum_pd(v)
#define V_LOADN(p, n) avx2_loadn_pd(p, n)
#define V_TRANSPOSE(in, out) avx2_transpose_pd(in, out)

// double: 6 x 8 tile, the same register shape with 4 lanes. KC = 512 as for float, MC = 64 so
// the A block stays at 256 KiB, half of Zen 3's L2: against KC = 256 / MC = 96, 1024x784x512
// 1.06x / 1.07x on 1 / 2 threads, 1024x512x512 1.01x / 1.04x, 1024^3 0.96x / 1.04x.
#define PACK_B_TRANSPOSED avx2_d_pack_bt
#define T double
#define VT __m256d
#define VLEN 4
#define KMR 6
#define KNV 2
#define KC_ 512
#define MC_ 64
#define NC_ 2048
#define PFX avx2_d
#define DESC_T loom_gemm_desc_d
#define KUNROLL 4
#define PREFETCH_C 1
#define DMR 2
#define DNB 6
#include "gemm_kernel_impl.h"

const loom_gemm_desc_s *loom_gemm_avx2_s(void) { return &avx2_s_desc; }
const loom_gemm_desc_d *loom_gemm_avx2_d(void) { return &avx2_d_desc; }
#endif

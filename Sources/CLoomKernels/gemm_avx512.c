// AVX-512F + FMA GEMM kernels (zmm registers). Compiled for that ISA only via the target
// attribute; loom_gemm_avx512_* are only called when loom_active_isa() says the CPU has it.
#include "gemm_common.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define ATTR __attribute__((target("avx2,fma,avx512f")))
#define V_ZERO _mm512_setzero_ps()
#define V_LOAD(p) _mm512_load_ps(p)
#define V_LOADU(p) _mm512_loadu_ps(p)
#define V_STOREU(p, v) _mm512_storeu_ps(p, v)
#define V_SET1(x) _mm512_set1_ps(x)
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#define V_RELU(x) _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_NLE_UQ), x)
#define V_HSUM(v) _mm512_reduce_add_ps(v)
#define V_LOADN(p, n) _mm512_maskz_loadu_ps((__mmask16)((1u << (n)) - 1), p)
#define V_TRANSPOSE(in, out) avx512_transpose_ps(in, out)

// float: 6 x 64 tile = 24 zmm accumulators + 4 B vectors + 1 broadcast (of 32). Per k step:
// 4 vector loads + 6 broadcasts feed 24 FMAs, i.e. 12 cycles on Zen 5's two 512-bit FMA pipes,
// leaving load bandwidth to spare. KC = 192 keeps a packed B micro-panel (192 x 64 floats =
// 48 KiB) in L1 while it is reused against every 6-row panel of A; MC = 264 keeps the A block
// (264 x 192 floats ~ 200 KiB) comfortably inside the 1 MiB L2.

// 16 x 16 floats transposed in registers (64 shuffles): lane i of out[j] is lane j of in[i].
ATTR static inline __attribute__((always_inline)) void avx512_transpose_ps(const __m512 *in, __m512 *out) {
    __m512 r[16], t[16];
    // After these two steps, lane L of r[4h + q] holds inputs 4h..4h+3 at lane 4L + q.
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(in[2 * i], in[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(in[2 * i], in[2 * i + 1]);
    }
    for (int h = 0; h < 4; h++) {
        __m512d a0 = _mm512_castps_pd(t[4 * h]), a1 = _mm512_castps_pd(t[4 * h + 1]);
        __m512d a2 = _mm512_castps_pd(t[4 * h + 2]), a3 = _mm512_castps_pd(t[4 * h + 3]);
        r[4 * h] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, a2));
        r[4 * h + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, a2));
        r[4 * h + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, a3));
        r[4 * h + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, a3));
    }
    // Gather lane L of r[q], r[4 + q], r[8 + q], r[12 + q] into output 4L + q.
    for (int q = 0; q < 4; q++) {
        __m512 x0 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0x44);
        __m512 x1 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0xEE);
        __m512 y0 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0x44);
        __m512 y1 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0xEE);
        out[q] = _mm512_shuffle_f32x4(x0, y0, 0x88);
        out[q + 4] = _mm512_shuffle_f32x4(x0, y0, 0xDD);
        out[q + 8] = _mm512_shuffle_f32x4(x1, y1, 0x88);
        out[q + 12] = _mm512_shuffle_f32x4(x1, y1, 0xDD);
    }
}

// 8 x 8 doubles: pairs interleaved, then 128-bit blocks gathered twice (24 shuffles).
ATTR static inline __attribute__((always_inline)) void avx512_transpose_pd(const __m512d *in, __m512d *out) {
    __m512d t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm512_unpacklo_pd(in[2 * i], in[2 * i + 1]);     // lanes 0, 2, 4, 6 of a pair
        t[2 * i + 1] = _mm512_unpackhi_pd(in[2 * i], in[2 * i + 1]); // lanes 1, 3, 5, 7
    }
    for (int h = 0; h < 2; h++) { // inputs 4h..4h+3
        u[4 * h] = _mm512_shuffle_f64x2(t[4 * h], t[4 * h + 2], 0x88);     // lanes 0, 4
        u[4 * h + 1] = _mm512_shuffle_f64x2(t[4 * h], t[4 * h + 2], 0xDD); // lanes 2, 6
        u[4 * h + 2] = _mm512_shuffle_f64x2(t[4 * h + 1], t[4 * h + 3], 0x88); // 1, 5
        u[4 * h + 3] = _mm512_shuffle_f64x2(t[4 * h + 1], t[4 * h + 3], 0xDD); // 3, 7
    }
    out[0] = _mm512_shuffle_f64x2(u[0], u[4], 0x88);
    out[4] = _mm512_shuffle_f64x2(u[0], u[4], 0xDD);
    out[2] = _mm512_shuffle_f64x2(u[1], u[5], 0x88);
    out[6] = _mm512_shuffle_f64x2(u[1], u[5], 0xDD);
    out[1] = _mm512_shuffle_f64x2(u[2], u[6], 0x88);
    out[5] = _mm512_shuffle_f64x2(u[2], u[6], 0xDD);
    out[3] = _mm512_shuffle_f64x2(u[3], u[7], 0x88);
    out[7] = _mm512_shuffle_f64x2(u[3], u[7], 0xDD);
}

// Packs a full 64-column panel of a column-contiguous B (element (p, j) at src[j*cs + p]):
// 16x16 blocks are loaded as 16 columns, transposed in registers and stored as 16 packed rows,
// instead of 256 scalar loads and stores to 256-byte-strided addresses.
ATTR static void avx512_s_pack_bt(int64_t kc, const float *src, int64_t cs, float *dst) {
    int64_t p = 0;
    for (; p + 16 <= kc; p += 16) {
        for (int g = 0; g < 4; g++) {
            __m512 r[16], t[16];
            for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + (g * 16 + i) * cs + p);
            avx512_transpose_ps(r, t);
            for (int i = 0; i < 16; i++) _mm512_storeu_ps(dst + (p + i) * 64 + g * 16, t[i]);
        }
    }
    for (; p < kc; p++)
        for (int j = 0; j < 64; j++) dst[p * 64 + j] = src[j * cs + p];
}

// float: 6 x 64 tile (24 zmm accumulators). KC = 512 measured against 192 on Zen 4 (loom-bench,
// same session, medians): 128x784x512 1 thread 98-102 -> 105-107 GFLOP/s, 1024^3 98-99 -> 106,
// 2 threads 204-206 -> 211-212 and 199-211 -> 217; shapes with k <= 192 unchanged. Fewer K
// blocks mean fewer passes over C, which outweighs the B micro-panel (kc x 64) leaving L1 for
// L2. Balanced blocks: k = 784 runs as 2 x 392.
// KC = 1024 with MC = 132 (the A block, 132 x 1024 floats = 528 KiB, half the L2) against
// 512 / 264 (stop 28, Zen 4, one process, alternating calls, 10-16 pairs): k = 784 in one
// block instead of two, 1024x784x512 1.03-1.05x on 1 and 2 threads, 1024^3 1.02-1.04x on 2,
// 2048^3 1.01-1.03x; shapes with k <= 512 0.98-1.03x (1024x512x10 on 2 threads 0.93x: its
// smaller slices pack the 10-column B more often).
// C is prefetched before the k loop, as on the AVX2 path; one k step per loop trip (AVX2 takes
// four). Measured on Zen 4 in one process, alternating calls with the kernel without prefetch
// (10-30 pairs): float64 1024^3 1.08x on 1 thread, 1,210^3 1.05x on 2; float 1024^3 1.02x;
// the MLP's float products 0.99-1.01x. Four k steps per trip on top of it: 0.996-1.00x.
#define PACK_B_TRANSPOSED avx512_s_pack_bt
#define T float
#define VT __m512
#define VLEN 16
#define KMR 6
#define KNV 4
#define KC_ 1024
#define MC_ 132
#define NC_ 4096
#define PFX avx512_s
#define DESC_T loom_gemm_desc_s
#define PREFETCH_C 1
#define DMR 2
#define DNB 12
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

#define V_ZERO _mm512_setzero_pd()
#define V_LOAD(p) _mm512_load_pd(p)
#define V_LOADU(p) _mm512_loadu_pd(p)
#define V_STOREU(p, v) _mm512_storeu_pd(p, v)
#define V_SET1(x) _mm512_set1_pd(x)
#define V_FMA(a, b, c) _mm512_fmadd_pd(a, b, c)
#define V_MUL(a, b) _mm512_mul_pd(a, b)
#define V_RELU(x) _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_NLE_UQ), x)
#define V_HSUM(v) _mm512_reduce_add_pd(v)
#define V_LOADN(p, n) _mm512_maskz_loadu_pd((__mmask8)((1u << (n)) - 1), p)
#define V_TRANSPOSE(in, out) avx512_transpose_pd(in, out)

// double: 6 x 32 tile, the same register shape with 8 lanes. KC = 256 / MC = 96 measured better
// than KC = 128 / MC = 192 (1024^3: 50 vs 45 GFLOP/s; the latter would keep the 32 KiB B
// micro-panel in L1): fewer passes over C matter more than L1 residency of B for doubles.
// KC = 512 against 256 (stop 28, Zen 4, one process, alternating calls): 1024x784x512
// 1.07x / 1.04x on 1 / 2 threads, 1024x512x512 1.03x, 128x784x512 1.00x / 1.03x, 1024^3
// 0.97x / 0.99x.
#define T double
#define VT __m512d
#define VLEN 8
#define KMR 6
#define KNV 4
#define KC_ 512
#define MC_ 96
#define NC_ 2048
#define PFX avx512_d
#define DESC_T loom_gemm_desc_d
#define PREFETCH_C 1
// Dot products (a 10-column output layer in float64): 4 rows x 6 columns, 24 accumulators, so
// that a column group's Bᵀ (6 x 512 doubles, 24 KiB) stays in L1 where all 10 columns (40 KiB)
// did not, and each step loads 10 vectors for 24 FMAs (2 x 12: 14). Zen 4, alternating runs of
// the two builds: 128x512x10 1.13-1.40x on 1 and 2 threads, 1024x512x10 1.15-1.19x, 64x784x12
// 1.09-1.28x; 5 columns (4 x 5 against 2 x 5) 0.94-1.00x.
#define DMR 4
#define DNB 6
#include "gemm_kernel_impl.h"

const loom_gemm_desc_s *loom_gemm_avx512_s(void) { return &avx512_s_desc; }
const loom_gemm_desc_d *loom_gemm_avx512_d(void) { return &avx512_d_desc; }
#endif

// Template for one (ISA, element type) set of GEMM kernels: micro-kernel and packing routines.
// Included by gemm_avx512.c, gemm_avx2.c and gemm_portable.c after defining:
//   T, VT, VLEN            element type, vector type, lanes per vector
//   KMR, KNV               micro-tile: KMR rows x (KNV * VLEN) columns held in KMR*KNV registers
//   KC_, MC_, NC_          cache blocking (see gemm_common.h)
//   PFX, DESC_T            name prefix, descriptor type
//   ATTR                   __attribute__((target(...))) or empty
//   V_LOAD(p) V_LOADU(p) V_STOREU(p, v) V_SET1(x) V_ZERO V_FMA(a, b, c) V_MUL(a, b)
//   V_RELU(x)              x where x > 0 or x is NaN, else +0 (Loom's ReLU, lane by lane)
//   V_HSUM(v)              the sum of v's lanes, as a T (a fixed order per ISA)
//   DMR, DNB               the dot-product tile for products of few columns (FN(dot)):
//                          DMR rows x up to DNB columns of C, one accumulator each (2 x 6,
//                          2 x 12 or 4 x 6)
// and optionally
//   V_LOADN(p, n) V_TRANSPOSE(in, out)
//                          the first n lanes at p (the rest zero, not read); a VLEN x VLEN
//                          transpose in registers (lane i of out[j] is lane j of in[i]): with
//                          them, FN(pack_dot) transposes a row-major B in registers
//   KUNROLL                k steps per trip of the micro-kernel's loop (default 1)
//   PREFETCH_C             1: prefetch the tile's rows of C before its k loop (default 0)
// No include guard: meant to be included several times.

#define LOOM_CAT_(a, b) a##_##b
#define LOOM_CAT(a, b) LOOM_CAT_(a, b)
#define FN(x) LOOM_CAT(PFX, x)
#define KNR (KNV * VLEN)

#ifndef LOOM_UNROLL
#define LOOM_UNROLL _Pragma("unroll")
#endif
#ifndef KUNROLL
#define KUNROLL 1
#endif
#ifndef PREFETCH_C
#define PREFETCH_C 0
#endif
#ifndef LOOM_PRAGMA
#define LOOM_PRAGMA(x) _Pragma(#x)
#define LOOM_UNROLL_K(n) LOOM_PRAGMA(clang loop unroll_count(n))
#endif

// The tile body for compile-time MRc x NVc (always inlined into the dispatcher below, so every
// edge shape gets its own fully unrolled register-resident code: an m = 128 problem with 6-row
// tiles ends with a 2-row tile that costs 2/6 of a full one instead of a full one).
static inline __attribute__((always_inline)) ATTR void FN(tile)(
    const int MRc, const int NVc, int64_t kc, const T *restrict a, int64_t a_rs, int64_t a_ps,
    const T *restrict bp, int64_t b_rs, T *restrict c, int64_t c_rs, int64_t c_cs, int64_t nr,
    T alpha, T beta, const T *restrict bias, int relu) {
    VT acc[KMR][KNV];
    LOOM_UNROLL for (int r = 0; r < MRc; r++) LOOM_UNROLL for (int v = 0; v < NVc; v++)
        acc[r][v] = V_ZERO;
    // The tile's C is read (beta != 0) or written only after its k loop; fetching its rows now
    // overlaps their misses with that loop instead of stalling the epilogue on them (rows of C
    // kilobytes apart, as in 1024 x 1024 or a 1,210-column float64 Hessian, miss L1 and L2).
    // A short loop (k = 10, the input gradient of a 10-class layer) hides no miss: skip it there.
    if (PREFETCH_C && kc >= 64)
        LOOM_UNROLL for (int r = 0; r < MRc; r++) {
            __builtin_prefetch(c + r * c_rs, 1, 3);
            __builtin_prefetch(c + r * c_rs + (NVc * VLEN - 1) * c_cs, 1, 3);
        }
    // The two layouts of A get loops of their own, so that no address depends on the one before
    // it: with a single loop over a[r * a_rs], the compiler walked the rows with a chain of six
    // dependent adds per k step, as long as the step's six cycles of FMAs (AVX2 ran at 85% of
    // the FMA ceiling). A packed panel (a_rs = 1, a_ps = KMR) is read at constant offsets; a
    // row-major A read in place (a_ps = 1) through one pointer per row, indexed by p.
    // A row-major B read in place (b_rs != KNR) gets a loop of its own with either A, so that
    // the packed panel's loop keeps its constant offsets.
#define LOOM_STEP(B_AT, A_AT)                                                                 \
    {                                                                                         \
        VT b[KNV];                                                                            \
        LOOM_UNROLL for (int v = 0; v < NVc; v++) b[v] = B_AT;                                \
        LOOM_UNROLL for (int r = 0; r < MRc; r++) {                                           \
            VT av = V_SET1(A_AT);                                                             \
            LOOM_UNROLL for (int v = 0; v < NVc; v++) acc[r][v] = V_FMA(av, b[v], acc[r][v]); \
        }                                                                                     \
    }
    if (a_ps == 1) {
        const T *row[KMR];
        LOOM_UNROLL for (int r = 0; r < MRc; r++) row[r] = a + r * a_rs;
        if (b_rs == KNR) {
            LOOM_UNROLL_K(KUNROLL)
            for (int64_t p = 0; p < kc; p++) LOOM_STEP(V_LOAD(bp + p * KNR + v * VLEN), row[r][p])
        } else {
            LOOM_UNROLL_K(KUNROLL)
            for (int64_t p = 0; p < kc; p++, bp += b_rs) LOOM_STEP(V_LOADU(bp + v * VLEN), row[r][p])
        }
    } else if (b_rs == KNR) {
        LOOM_UNROLL_K(KUNROLL)
        for (int64_t p = 0; p < kc; p++, a += KMR, bp += KNR) LOOM_STEP(V_LOAD(bp + v * VLEN), a[r])
    } else {
        LOOM_UNROLL_K(KUNROLL)
        for (int64_t p = 0; p < kc; p++, a += KMR, bp += b_rs) LOOM_STEP(V_LOADU(bp + v * VLEN), a[r])
    }
#undef LOOM_STEP
    VT va = V_SET1(alpha);
    if (c_cs == 1 && nr == NVc * VLEN) {
        // Full-width tile in a row-contiguous C: vector update straight into C. The bias is one
        // FMA's addend, as C filled with the bias and updated with beta = 1 would be: the same
        // bits, without the pass that filled C or the loads that read it back.
        if (beta == (T)0) {
            VT bv[KNV];
            LOOM_UNROLL for (int v = 0; v < NVc; v++) bv[v] = bias ? V_LOADU(bias + v * VLEN) : V_ZERO;
            LOOM_UNROLL for (int r = 0; r < MRc; r++) LOOM_UNROLL for (int v = 0; v < NVc; v++) {
                VT x = bias ? V_FMA(va, acc[r][v], bv[v]) : V_MUL(va, acc[r][v]);
                V_STOREU(c + r * c_rs + v * VLEN, relu ? V_RELU(x) : x);
            }
        } else {
            VT vb = V_SET1(beta);
            LOOM_UNROLL for (int r = 0; r < MRc; r++) LOOM_UNROLL for (int v = 0; v < NVc; v++) {
                T *cp = c + r * c_rs + v * VLEN;
                VT x = V_FMA(va, acc[r][v], V_MUL(vb, V_LOADU(cp)));
                V_STOREU(cp, relu ? V_RELU(x) : x);
            }
        }
    } else {
        // Partial width or strided C: spill the tile, then update element by element in C's
        // memory order: along the rows, or down the columns when those are contiguous (c_rs == 1,
        // the Cᵀ = Bᵀ·Aᵀ that a 10-class weight gradient runs as; row by row, each store landed
        // 10 elements past the last: 1.02-1.08x for 512x128x10 At, one process).
        T tmp[KMR * KNR] __attribute__((aligned(64)));
        LOOM_UNROLL for (int r = 0; r < MRc; r++) LOOM_UNROLL for (int v = 0; v < NVc; v++)
            V_STOREU(tmp + r * KNR + v * VLEN, acc[r][v]);
#define LOOM_SPILL(R, J)                                                                       \
    {                                                                                          \
        T *cp = c + (R) * c_rs + (J) * c_cs;                                                   \
        const T t = tmp[(R) * KNR + (J)];                                                      \
        T x;                                                                                   \
        if (beta != (T)0) x = alpha * t + beta * *cp;                                          \
        else if (bias) x = alpha * t + bias[J];                                                \
        else x = alpha * t;                                                                    \
        *cp = !relu || x > (T)0 || x != x ? x : (T)0;                                          \
    }
        if (c_rs == 1 && c_cs != 1) {
            for (int64_t jj = 0; jj < nr; jj++) LOOM_UNROLL for (int r = 0; r < MRc; r++) LOOM_SPILL(r, jj)
        } else {
            for (int r = 0; r < MRc; r++) for (int64_t jj = 0; jj < nr; jj++) LOOM_SPILL(r, jj)
        }
#undef LOOM_SPILL
    }
}

ATTR static void FN(kernel)(int64_t kc, const T *a, int64_t a_rs, int64_t a_ps, const T *bp,
                            int64_t b_rs, T *c, int64_t c_rs, int64_t c_cs, int64_t mr, int64_t nr,
                            T alpha, T beta, const T *bias, int relu) {
    int nv = (int)((nr + VLEN - 1) / VLEN);
    switch ((int)mr * 8 + nv) {
#define LOOM_TC(M, V)                                                                          \
    case M * 8 + V:                                                                            \
        FN(tile)(M, V, kc, a, a_rs, a_ps, bp, b_rs, c, c_rs, c_cs, nr, alpha, beta, bias, relu);   \
        return;
#if KNV == 4
#define LOOM_TROW(M) LOOM_TC(M, 1) LOOM_TC(M, 2) LOOM_TC(M, 3) LOOM_TC(M, 4)
#elif KNV == 2
#define LOOM_TROW(M) LOOM_TC(M, 1) LOOM_TC(M, 2)
#else
#error "KNV must be 2 or 4"
#endif
        LOOM_TROW(1) LOOM_TROW(2) LOOM_TROW(3) LOOM_TROW(4)
#if KMR == 6
        LOOM_TROW(5) LOOM_TROW(6)
#elif KMR != 4
#error "KMR must be 4 or 6"
#endif
#undef LOOM_TROW
#undef LOOM_TC
    default:
        return;
    }
}

// Packing reads any strides. The common layouts get loops whose inner index walks contiguous
// memory (so they vectorize or at least stream); the general case is elementwise.
ATTR static void FN(pack_a)(int64_t mc, int64_t kc, const T *a, int64_t rs, int64_t cs,
                            T *restrict dst) {
    if (rs == 1) {
        // Column-contiguous A (a transposed view, the Xᵀ of a weight gradient Xᵀ · dY): walk each
        // source column p once across every panel, so each cache line of X is read once for the
        // block instead of once per panel (a panel uses 6 of a line's 16 floats).
        const int64_t full = mc / KMR * KMR;
        for (int64_t p = 0; p < kc; p++) {
            const T *src = a + p * cs;
            T *d = dst + p * KMR;
            for (int64_t i = 0; i < full; i += KMR, d += KMR * kc)
                LOOM_UNROLL for (int r = 0; r < KMR; r++) d[r] = src[i + r];
            if (full < mc)
                LOOM_UNROLL for (int r = 0; r < KMR; r++) d[r] = full + r < mc ? src[full + r] : (T)0;
        }
        return;
    }
    for (int64_t i = 0; i < mc; i += KMR) {
        int64_t mr = mc - i < KMR ? mc - i : KMR;
        const T *src = a + i * rs;
        if (mr == KMR) {
            for (int r = 0; r < KMR; r++) {
                const T *s = src + r * rs;
                for (int64_t p = 0; p < kc; p++) dst[p * KMR + r] = s[p * cs];
            }
        } else {
            for (int64_t p = 0; p < kc; p++)
                for (int r = 0; r < KMR; r++)
                    dst[p * KMR + r] = r < mr ? src[r * rs + p * cs] : (T)0;
        }
        dst += KMR * kc;
    }
}

ATTR static void FN(pack_b)(int64_t kc, int64_t nc, const T *b, int64_t rs, int64_t cs,
                            T *restrict dst) {
    if (cs == 1 && nc >= KNR) {
        // Row-major B: eight source rows at a time across every full panel, so the reads are
        // eight streams in memory order (panel by panel, they jumped a whole row of B per k
        // step, a new page every step for a row of 4 KiB or more, which no prefetcher follows)
        // and the writes 8-row runs of each panel (one row at a time, they would fall a panel,
        // a power of two, apart: all into one set of L1).
        const int64_t full = nc / KNR * KNR;
        for (int64_t p0 = 0; p0 < kc; p0 += 8) {
            const int64_t p1 = kc - p0 < 8 ? kc : p0 + 8;
            T *d = dst + p0 * KNR;
            for (int64_t j = 0; j < full; j += KNR, d += KNR * kc)
                for (int64_t p = p0; p < p1; p++)
                    LOOM_UNROLL for (int jj = 0; jj < KNR; jj++) d[(p - p0) * KNR + jj] = b[p * rs + j + jj];
        }
        if (full == nc) return;
        dst += full * kc;
        b += full;
        nc -= full;
    }
    for (int64_t j = 0; j < nc; j += KNR) {
        int64_t nr = nc - j < KNR ? nc - j : KNR;
        const T *src = b + j * cs;
        // (A row-major B's full panels were all packed above.)
        if (nr == KNR && rs == 1) {
            // Column-contiguous B (a transposed view): read down each column, or transpose
            // in registers when the ISA provides PACK_B_TRANSPOSED (dX = dY · Wᵀ in an MLP).
#ifdef PACK_B_TRANSPOSED
            PACK_B_TRANSPOSED(kc, src, cs, dst);
#else
            for (int jj = 0; jj < KNR; jj++) {
                const T *s = src + jj * cs;
                for (int64_t p = 0; p < kc; p++) dst[p * KNR + jj] = s[p];
            }
#endif
        } else {
            for (int64_t p = 0; p < kc; p++)
                for (int jj = 0; jj < KNR; jj++)
                    dst[p * KNR + jj] = jj < nr ? src[p * rs + jj * cs] : (T)0;
        }
        dst += KNR * kc;
    }
}

// Bᵀ for the dot products (FN(dot) below), all n columns of a k x n B in blocks of 16 k values:
// block q holds column j's values 16q..16q+15 at dst[q * 16 * n + j * 16], zeros past k. A
// row-major B (a layer's W) is transposed in VLEN x VLEN tiles in registers where the ISA has
// V_TRANSPOSE: element by element, the strided stores were 13-16% of 128x512x10 on one thread
// (perf). Zen 4, one process, alternating calls against that loop: 128x512x10 float 1.22x /
// 1.34x on 1 / 2 threads on AVX-512, 1.10x / 1.15x on AVX2; float64 1.08x / 1.15x and 1.04x /
// 1.08x; 1024x512x10 1.01-1.03x (eight times the rows for the same Bᵀ).
ATTR static void FN(pack_dot)(int64_t k, int64_t n, const T *b, int64_t rs, int64_t cs, T *restrict dst) {
    for (int64_t q = 0, p0 = 0; p0 < k; q++, p0 += 16) {
        T *blk = dst + q * 16 * n;
        const int64_t len = k - p0 < 16 ? k - p0 : 16;
#ifdef V_TRANSPOSE
        if (cs == 1 && len == 16) {
            LOOM_UNROLL for (int h = 0; h < 16 / VLEN; h++)
                for (int64_t g = 0; g < n; g += VLEN) {
                    const int nv = n - g < VLEN ? (int)(n - g) : VLEN;
                    VT r[VLEN], t[VLEN];
                    LOOM_UNROLL for (int i = 0; i < VLEN; i++) r[i] = V_LOADN(b + (p0 + h * VLEN + i) * rs + g, nv);
                    V_TRANSPOSE(r, t);
                    LOOM_UNROLL for (int jj = 0; jj < VLEN; jj++)
                        if (jj < nv) V_STOREU(blk + (g + jj) * 16 + h * VLEN, t[jj]);
                }
            continue;
        }
#endif
        if (len < 16)
            for (int64_t x = 0; x < 16 * n; x++) blk[x] = 0;
        // Row by row of B (a row-major W is read in memory order; the block, 16 n values,
        // stays in L1 as it is written).
        for (int64_t p = 0; p < len; p++) {
            const T *src = b + (p0 + p) * rs;
            for (int64_t jj = 0; jj < n; jj++) blk[jj * 16 + p] = src[jj * cs];
        }
    }
}

// Products of few columns whose A is row-major (an MLP's 10-class output layer, 128x512x10 in
// training and 1024x512x10 in inference), as dot products along k. The tile above holds C's rows
// across its vector lanes, so 10 columns use 10 of 16 float lanes (AVX-512) and each step
// broadcasts 6 values of A for 6 FMAs. Here each accumulator is one element of C, its lanes
// partial sums over k: A's rows are read in place, contiguous in k, and B's columns from Bᵀ
// (FN(pack_dot) above, once per thread and product, in blocks of 16 k values, zero past k), so
// every lane does useful work and each step loads DMR + ncols vectors for DMR * ncols FMAs.
// The lanes are summed once per element at the end (a fixed tree per ISA, V_HSUM), so the sum
// over k runs in another order than the tile's: the result differs by rounding, not by thread
// count.
static inline __attribute__((always_inline)) ATTR void FN(dot_tile)(
    const int MRc, const int NBc, int64_t k, const T *restrict a, int64_t a_rs,
    const T *restrict bt, int64_t bt_bs, T *restrict c, int64_t c_rs, int64_t c_cs, T alpha,
    T beta, const T *restrict bias, int relu) {
    VT acc[DMR][DNB];
    LOOM_UNROLL for (int r = 0; r < MRc; r++) LOOM_UNROLL for (int j = 0; j < NBc; j++)
        acc[r][j] = V_ZERO;
    // Bᵀ comes in blocks of 16 k values: block q holds column j's values 16q.. at j * 16, so a
    // step's loads sit at constant offsets from one pointer (indexing rows of Bᵀ j * stride
    // apart, the compiler chained an add per load).
    const int64_t kb = k / 16 * 16;
#define LOOM_DSTEP(A_AT)                                                                        \
    LOOM_UNROLL for (int s = 0; s < 16 / VLEN; s++) {                                           \
        VT av[DMR];                                                                             \
        LOOM_UNROLL for (int r = 0; r < MRc; r++) av[r] = A_AT;                                 \
        LOOM_UNROLL for (int j = 0; j < NBc; j++) {                                             \
            VT bv = V_LOAD(bt + j * 16 + s * VLEN);                                             \
            LOOM_UNROLL for (int r = 0; r < MRc; r++) acc[r][j] = V_FMA(av[r], bv, acc[r][j]);  \
        }                                                                                       \
    }
    for (int64_t p = 0; p < kb; p += 16, bt += bt_bs) LOOM_DSTEP(V_LOADU(a + r * a_rs + p + s * VLEN))
    if (kb < k) {
        // The last partial block of each row, zero-padded (Bᵀ's padding is zero too, but A's
        // elements past k may be anything, NaN included).
        T tail[DMR][16] __attribute__((aligned(64)));
        for (int r = 0; r < MRc; r++)
            for (int q = 0; q < 16; q++) tail[r][q] = kb + q < k ? a[r * a_rs + kb + q] : (T)0;
        LOOM_DSTEP(V_LOAD(tail[r] + s * VLEN))
    }
#undef LOOM_DSTEP
    LOOM_UNROLL for (int r = 0; r < MRc; r++) LOOM_UNROLL for (int j = 0; j < NBc; j++) {
        const T s = V_HSUM(acc[r][j]);
        T *cp = c + r * c_rs + j * c_cs;
        T x;
        if (beta != (T)0) x = alpha * s + beta * *cp;
        else if (bias) x = alpha * s + bias[j];
        else x = alpha * s;
        *cp = !relu || x > (T)0 || x != x ? x : (T)0;
    }
}

ATTR static void FN(dot)(int64_t k, const T *a, int64_t a_rs, const T *bt, int64_t bt_bs, T *c,
                         int64_t c_rs, int64_t c_cs, int64_t mr, int64_t nr, T alpha, T beta,
                         const T *bias, int relu) {
    switch ((int)mr * 16 + (int)nr) {
#define LOOM_DC(M, N)                                                                          \
    case M * 16 + N:                                                                           \
        FN(dot_tile)(M, N, k, a, a_rs, bt, bt_bs, c, c_rs, c_cs, alpha, beta, bias, relu);     \
        return;
#define LOOM_DROW(M) LOOM_DC(M, 1) LOOM_DC(M, 2) LOOM_DC(M, 3) LOOM_DC(M, 4) LOOM_DC(M, 5) LOOM_DC(M, 6)
#define LOOM_DROW12(M) LOOM_DROW(M) LOOM_DC(M, 7) LOOM_DC(M, 8) LOOM_DC(M, 9) LOOM_DC(M, 10) LOOM_DC(M, 11) LOOM_DC(M, 12)
#if DNB == 12
        LOOM_DROW12(1) LOOM_DROW12(2)
#elif DNB == 6
        LOOM_DROW(1) LOOM_DROW(2)
#else
#error "DNB must be 6 or 12"
#endif
#if DMR == 4 && DNB == 6
        LOOM_DROW(3) LOOM_DROW(4)
#elif DMR != 2
#error "DMR must be 2, or 4 with DNB 6 (4 x 12 accumulators would not fit in registers)"
#endif
#undef LOOM_DROW12
#undef LOOM_DROW
#undef LOOM_DC
    default:
        return;
    }
}

static const DESC_T FN(desc) = {KMR, KNR, KC_, MC_, NC_, FN(pack_a), FN(pack_b), FN(kernel),
                                DMR, DNB, FN(pack_dot), FN(dot)};

#undef KNR
#undef DMR
#undef DNB
#undef KUNROLL
#undef PREFETCH_C
#undef FN
#undef LOOM_CAT
#undef LOOM_CAT_

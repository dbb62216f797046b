// The symmetric matrix-vector product of the Householder tridiagonal reduction (LoomOptimizers,
// LinearAlgebra+Reduction.swift), on the active ISA: in Swift it compiled to SSE2 without FMA
// (Swift code is built for baseline x86-64), at half the width of the AVX2 path.
#include "loom_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// One row at a time: out[i] += B[i, 0...i]·v[0...i] and out[0..<i] += v[i] B[i, 0..<i].
static void symv_row(int64_t i, const double *row, const double *v, double *out) {
    double sum = 0, vi = v[i];
    for (int64_t j = 0; j < i; j++) {
        sum += row[j] * v[j];
        out[j] += vi * row[j];
    }
    out[i] += sum + row[i] * v[i];
}

// The corner of a block of four rows from column j (left columns still to do, then the 4 × 4
// diagonal block): rows i..i+3 of the lower triangle only.
static void symv_corner(int64_t i, int64_t j, const double *rows, int64_t stride, const double *v,
                        double *out, double sums[4]) {
    for (int64_t column = j; column < i + 4; column++) {
        double x = v[column];
        for (int r = 0; r < 4; r++) {
            if (column > i + r) continue;
            double value = rows[r * stride + column];
            sums[r] += value * x;
            if (column < i + r) out[column] += value * v[i + r];
        }
    }
    for (int r = 0; r < 4; r++) out[i + r] += sums[r];
}

static void symv_portable(int64_t first, int64_t count, const double *b, int64_t stride, const double *v, double *out) {
    int64_t i = first, end = first + count;
    for (; i + 4 <= end; i += 4) {
        const double *r0 = b + i * stride, *r1 = r0 + stride, *r2 = r1 + stride, *r3 = r2 + stride;
        double v0 = v[i], v1 = v[i + 1], v2 = v[i + 2], v3 = v[i + 3];
        double sums[4] = {0, 0, 0, 0};
        int64_t j = 0;
        for (; j < i; j++) {
            double x = v[j];
            sums[0] += r0[j] * x;
            sums[1] += r1[j] * x;
            sums[2] += r2[j] * x;
            sums[3] += r3[j] * x;
            out[j] += r0[j] * v0 + r1[j] * v1 + r2[j] * v2 + r3[j] * v3;
        }
        symv_corner(i, j, r0, stride, v, out, sums);
    }
    for (; i < end; i++) symv_row(i, b + i * stride, v, out);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static double hsum256(__m256d x) {
    __m128d low = _mm256_castpd256_pd128(x), high = _mm256_extractf128_pd(x, 1);
    low = _mm_add_pd(low, high);
    return _mm_cvtsd_f64(_mm_add_sd(low, _mm_unpackhi_pd(low, low)));
}

// Four rows per pass: the four dot products and the four scaled rows added to out share each
// load of v and of out.
__attribute__((target("avx2,fma")))
static void symv_avx2(int64_t first, int64_t count, const double *b, int64_t stride, const double *v, double *out) {
    int64_t i = first, end = first + count;
    for (; i + 4 <= end; i += 4) {
        const double *r0 = b + i * stride, *r1 = r0 + stride, *r2 = r1 + stride, *r3 = r2 + stride;
        __m256d v0 = _mm256_set1_pd(v[i]), v1 = _mm256_set1_pd(v[i + 1]);
        __m256d v2 = _mm256_set1_pd(v[i + 2]), v3 = _mm256_set1_pd(v[i + 3]);
        __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
        int64_t j = 0;
        for (; j + 4 <= i; j += 4) {
            __m256d a0 = _mm256_loadu_pd(r0 + j), a1 = _mm256_loadu_pd(r1 + j);
            __m256d a2 = _mm256_loadu_pd(r2 + j), a3 = _mm256_loadu_pd(r3 + j);
            __m256d x = _mm256_loadu_pd(v + j), o = _mm256_loadu_pd(out + j);
            s0 = _mm256_fmadd_pd(a0, x, s0);
            s1 = _mm256_fmadd_pd(a1, x, s1);
            s2 = _mm256_fmadd_pd(a2, x, s2);
            s3 = _mm256_fmadd_pd(a3, x, s3);
            o = _mm256_fmadd_pd(a0, v0, o);
            o = _mm256_fmadd_pd(a1, v1, o);
            o = _mm256_fmadd_pd(a2, v2, o);
            o = _mm256_fmadd_pd(a3, v3, o);
            _mm256_storeu_pd(out + j, o);
        }
        double sums[4] = {hsum256(s0), hsum256(s1), hsum256(s2), hsum256(s3)};
        symv_corner(i, j, r0, stride, v, out, sums);
    }
    for (; i < end; i++) symv_row(i, b + i * stride, v, out);
}
#endif

void loom_dsymv_lower_rows(int64_t first, int64_t count, const double *b, int64_t stride,
                           const double *v, double *out) {
#if defined(__x86_64__)
    if (loom_active_isa() >= LOOM_ISA_AVX2) {
        symv_avx2(first, count, b, stride, v, out);
        return;
    }
#endif
    symv_portable(first, count, b, stride, v, out);
}

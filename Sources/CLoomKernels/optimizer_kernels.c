// Elementwise optimizer updates that Swift cannot vectorize: on Linux, Swift lowers
// Float.squareRoot() to a libm sqrtf call (errno semantics), scalar even in SIMD types, so
// Adam's update ran at ~3 ns an element. Here sqrt is the IEEE instruction.
//
// NOTE: every path performs the same correctly rounded operations in the same order as the
// Swift reference loop in Adam.update (no FMA contraction, division and sqrt exact), so the
// results are bitwise identical to it on every ISA, for any chunking across threads.
#pragma clang fp contract(off)

#include "loom_kernels.h"

#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static inline void adam_scalar(int64_t begin, int64_t end, float *p, const float *g, float *m, float *v,
                               const loom_adam_coefficients_s *c) {
    for (int64_t i = begin; i < end; i++) {
        float gi = g[i] + c->weight_decay * p[i];
        m[i] = c->beta1 * m[i] + c->one_minus_beta1 * gi;
        v[i] = c->beta2 * v[i] + c->one_minus_beta2 * gi * gi;
        p[i] -= c->step_size * m[i] / (__builtin_sqrtf(v[i]) / c->correction_root + c->epsilon);
    }
}

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static void adam_avx512(int64_t n, float *p, const float *g, float *m, float *v, const loom_adam_coefficients_s *c) {
    const __m512 lambda = _mm512_set1_ps(c->weight_decay), b1 = _mm512_set1_ps(c->beta1);
    const __m512 b2 = _mm512_set1_ps(c->beta2), k1 = _mm512_set1_ps(c->one_minus_beta1);
    const __m512 k2 = _mm512_set1_ps(c->one_minus_beta2), step = _mm512_set1_ps(c->step_size);
    const __m512 root = _mm512_set1_ps(c->correction_root), eps = _mm512_set1_ps(c->epsilon);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 pi = _mm512_loadu_ps(p + i), mi = _mm512_loadu_ps(m + i), vi = _mm512_loadu_ps(v + i);
        __m512 gi = _mm512_add_ps(_mm512_loadu_ps(g + i), _mm512_mul_ps(lambda, pi));
        mi = _mm512_add_ps(_mm512_mul_ps(b1, mi), _mm512_mul_ps(k1, gi));
        vi = _mm512_add_ps(_mm512_mul_ps(b2, vi), _mm512_mul_ps(_mm512_mul_ps(k2, gi), gi));
        __m512 denominator = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vi), root), eps);
        pi = _mm512_sub_ps(pi, _mm512_div_ps(_mm512_mul_ps(step, mi), denominator));
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
        _mm512_storeu_ps(p + i, pi);
    }
    adam_scalar(i, n, p, g, m, v, c);
}

__attribute__((target("avx2")))
static void adam_avx2(int64_t n, float *p, const float *g, float *m, float *v, const loom_adam_coefficients_s *c) {
    const __m256 lambda = _mm256_set1_ps(c->weight_decay), b1 = _mm256_set1_ps(c->beta1);
    const __m256 b2 = _mm256_set1_ps(c->beta2), k1 = _mm256_set1_ps(c->one_minus_beta1);
    const __m256 k2 = _mm256_set1_ps(c->one_minus_beta2), step = _mm256_set1_ps(c->step_size);
    const __m256 root = _mm256_set1_ps(c->correction_root), eps = _mm256_set1_ps(c->epsilon);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 pi = _mm256_loadu_ps(p + i), mi = _mm256_loadu_ps(m + i), vi = _mm256_loadu_ps(v + i);
        __m256 gi = _mm256_add_ps(_mm256_loadu_ps(g + i), _mm256_mul_ps(lambda, pi));
        mi = _mm256_add_ps(_mm256_mul_ps(b1, mi), _mm256_mul_ps(k1, gi));
        vi = _mm256_add_ps(_mm256_mul_ps(b2, vi), _mm256_mul_ps(_mm256_mul_ps(k2, gi), gi));
        __m256 denominator = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), root), eps);
        pi = _mm256_sub_ps(pi, _mm256_div_ps(_mm256_mul_ps(step, mi), denominator));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        _mm256_storeu_ps(p + i, pi);
    }
    adam_scalar(i, n, p, g, m, v, c);
}
#endif

void loom_adam_update_s(int64_t n, float *p, const float *g, float *m, float *v, const loom_adam_coefficients_s *c) {
#if defined(__x86_64__)
    switch (loom_active_isa()) {
    case LOOM_ISA_AVX512: adam_avx512(n, p, g, m, v, c); return;
    case LOOM_ISA_AVX2: adam_avx2(n, p, g, m, v, c); return;
    default: break;
    }
#endif
    adam_scalar(0, n, p, g, m, v, c);
}

// SGD's rules (SGD.update in LoomOptimizers): the same operations in the same order as the Swift
// loops, written once for every lane width (clang's vector extension applies a scalar operand
// to every lane; with contraction off each * and + rounds as Swift's do). Swift's own loops
// were compiled for baseline x86-64, 4 lanes wide: 669,706 floats of heavy-ball momentum took
// 251 us on one thread with the data in cache, 146 us 8 lanes wide (Benchmarks: the optimizer
// phase of the MLP step).
#define LOOM_SGD_LOOP(VT, W)                                                                       \
    switch (c->rule) {                                                                             \
    case LOOM_SGD_PLAIN:                                                                           \
        for (; i + W <= n; i += W) {                                                               \
            const VT pi = LOOM_LD(VT, p + i);                                                      \
            LOOM_ST(VT, p + i, pi - a * (LOOM_LD(VT, g + i) + l * pi));                            \
        }                                                                                          \
        break;                                                                                     \
    case LOOM_SGD_HEAVY_BALL:                                                                      \
    case LOOM_SGD_HEAVY_BALL_NESTEROV:                                                             \
        for (; i + W <= n; i += W) {                                                               \
            const VT pi = LOOM_LD(VT, p + i), gi = LOOM_LD(VT, g + i) + l * pi;                    \
            const VT ui = b * LOOM_LD(VT, u + i) + k * gi;                                         \
            LOOM_ST(VT, u + i, ui);                                                                \
            const VT step = c->rule == LOOM_SGD_HEAVY_BALL_NESTEROV ? gi + b * ui : ui;            \
            LOOM_ST(VT, p + i, pi - a * step);                                                     \
        }                                                                                          \
        break;                                                                                     \
    case LOOM_SGD_MOVING_AVERAGE:                                                                  \
        for (; i + W <= n; i += W) {                                                               \
            const VT pi = LOOM_LD(VT, p + i);                                                      \
            const VT ui = b * LOOM_LD(VT, u + i) + k * (LOOM_LD(VT, g + i) + l * pi);              \
            LOOM_ST(VT, u + i, ui);                                                                \
            LOOM_ST(VT, p + i, pi - s * ui);                                                       \
        }                                                                                          \
        break;                                                                                     \
    case LOOM_SGD_LOOK_AHEAD:                                                                      \
        for (; i + W <= n; i += W) {                                                               \
            const VT pi = LOOM_LD(VT, p + i), u0 = LOOM_LD(VT, u + i), last = ls * u0;             \
            const VT ui = b * u0 + k * (LOOM_LD(VT, g + i) + l * pi);                              \
            LOOM_ST(VT, u + i, ui);                                                                \
            LOOM_ST(VT, p + i, pi + (last - ts * ui));                                             \
        }                                                                                          \
        break;                                                                                     \
    default: break;                                                                                \
    }

#define LOOM_SGD_COEFFICIENTS                                                                      \
    const float a = c->learning_rate, l = c->weight_decay, b = c->momentum, k = c->keep;           \
    const float s = c->step_scale, ls = c->last_step_scale, ts = c->twice_step_scale;

// W lanes of type VT at ptr (float for one; the vector types below are 4-byte aligned).
#define LOOM_LD(VT, ptr) (*(const VT *)(ptr))
#define LOOM_ST(VT, ptr, v) (*(VT *)(ptr) = (v))

// Elements i ..< n one at a time (the tail of the vector loops, and the portable path).
static void sgd_scalar(int64_t i, int64_t n, float *p, const float *g, float *u, const loom_sgd_coefficients_s *c) {
    LOOM_SGD_COEFFICIENTS
    LOOM_SGD_LOOP(float, 1)
}

#if defined(__x86_64__)
typedef float loom_v8sf __attribute__((vector_size(32), aligned(4)));
typedef float loom_v16sf __attribute__((vector_size(64), aligned(4)));

// sgd_<isa>: the loop W lanes wide; returns the first element it left for sgd_scalar.
#define LOOM_SGD_VECTOR(NAME, TARGET, VT, W)                                                       \
    __attribute__((target(TARGET))) static int64_t NAME(                                           \
        int64_t n, float *p, const float *g, float *u, const loom_sgd_coefficients_s *c) {         \
        int64_t i = 0;                                                                             \
        LOOM_SGD_COEFFICIENTS                                                                      \
        LOOM_SGD_LOOP(VT, W)                                                                       \
        return i;                                                                                  \
    }
LOOM_SGD_VECTOR(sgd_avx512, "avx512f", loom_v16sf, 16)
LOOM_SGD_VECTOR(sgd_avx2, "avx2", loom_v8sf, 8)
#endif

void loom_sgd_update_s(int64_t n, float *p, const float *g, float *u, const loom_sgd_coefficients_s *c) {
    int64_t i = 0;
#if defined(__x86_64__)
    switch (loom_active_isa()) {
    case LOOM_ISA_AVX512: i = sgd_avx512(n, p, g, u, c); break;
    case LOOM_ISA_AVX2: i = sgd_avx2(n, p, g, u, c); break;
    default: break;
    }
#endif
    sgd_scalar(i, n, p, g, u, c);
}

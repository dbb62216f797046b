// Loom's hand-written CPU kernels. The Swift module `Loom` calls these through its internal
// kernel layer (Sources/Loom/Kernels); nothing else should.
//
// Matrices are addressed BLIS-style by a row stride and a column stride (in elements), so a
// transposed or sliced view is multiplied without a copy: element (i, j) of X is
// X[i * rs + j * cs]. Strides may be any non-negative value, including 0 (broadcast).
#ifndef LOOM_KERNELS_H
#define LOOM_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction-set paths a kernel can take. Chosen at run time from the CPU.
typedef enum {
    LOOM_ISA_PORTABLE = 0,
    LOOM_ISA_AVX2 = 1,   // AVX2 + FMA
    LOOM_ISA_AVX512 = 2, // AVX-512 F
} loom_isa;

/// The best path this CPU supports.
loom_isa loom_detected_isa(void);
/// The path kernels take now (the detected one unless overridden).
loom_isa loom_active_isa(void);
/// Forces a path for the calling thread's kernel calls (tests compare every path against the
/// portable one; other threads are unaffected, and a GEMM's worker threads follow the path
/// of the thread that called it). A request above what the CPU supports is clamped to the
/// detected path; returns the path now active on this thread. The environment variable
/// LOOM_ISA=portable|avx2|avx512 lowers the path for the whole process.
loom_isa loom_set_isa(loom_isa isa);

/// C = alpha * A · B + beta * C, with A [m, k], B [k, n], C [m, n] (row-major addressing by
/// strides as above). beta == 0 means C is written without being read (NaN in C is ignored).
/// m, n or k may be 0 (k == 0 gives C = beta * C).
void loom_sgemm(int64_t m, int64_t n, int64_t k, float alpha,
                const float *a, int64_t a_rs, int64_t a_cs,
                const float *b, int64_t b_rs, int64_t b_cs,
                float beta, float *c, int64_t c_rs, int64_t c_cs);

/// The float64 twin of `loom_sgemm`.
void loom_dgemm(int64_t m, int64_t n, int64_t k, double alpha,
                const double *a, int64_t a_rs, int64_t a_cs,
                const double *b, int64_t b_rs, int64_t b_cs,
                double beta, double *c, int64_t c_rs, int64_t c_cs);

/// C = max(alpha * A · B + beta * C, 0) elementwise (NaN stays NaN, -0 becomes +0, as Loom's
/// ReLU): the GEMM with a ReLU applied by the micro-kernel to each tile of C as its last K
/// block is stored. The same rounding as loom_sgemm followed by a ReLU.
void loom_sgemm_relu(int64_t m, int64_t n, int64_t k, float alpha,
                     const float *a, int64_t a_rs, int64_t a_cs,
                     const float *b, int64_t b_rs, int64_t b_cs,
                     float beta, float *c, int64_t c_rs, int64_t c_cs);

/// The float64 twin of `loom_sgemm_relu`.
void loom_dgemm_relu(int64_t m, int64_t n, int64_t k, double alpha,
                     const double *a, int64_t a_rs, int64_t a_cs,
                     const double *b, int64_t b_rs, int64_t b_cs,
                     double beta, double *c, int64_t c_rs, int64_t c_cs);

/// C = alpha * A · B + bias, bias[j] added to column j (C is written, not read), then with relu
/// != 0 the ReLU of loom_sgemm_relu: a layer's affine map in one pass, the bias and the ReLU
/// applied by the micro-kernel to each tile as it is stored. Bit for bit loom_sgemm (or
/// loom_sgemm_relu) with C first filled with the bias and beta = 1. bias holds n values.
void loom_sgemm_affine(int64_t m, int64_t n, int64_t k, float alpha,
                       const float *a, int64_t a_rs, int64_t a_cs,
                       const float *b, int64_t b_rs, int64_t b_cs,
                       const float *bias, float *c, int64_t c_rs, int64_t c_cs, int relu);

/// The float64 twin of `loom_sgemm_affine`.
void loom_dgemm_affine(int64_t m, int64_t n, int64_t k, double alpha,
                       const double *a, int64_t a_rs, int64_t a_cs,
                       const double *b, int64_t b_rs, int64_t b_cs,
                       const double *bias, double *c, int64_t c_rs, int64_t c_cs, int relu);

/// Adam's per-element coefficients (see Adam.update in LoomOptimizers, whose loop this is).
typedef struct {
    float step_size, beta1, beta2, one_minus_beta1, one_minus_beta2, correction_root, epsilon, weight_decay;
} loom_adam_coefficients_s;

/// Adam without AMSGrad or decoupled decay over n elements, in place, on the active path:
///   g' = g + weight_decay·p;  m = β₁m + (1−β₁)g';  v = β₂v + (1−β₂)g'g';
///   p -= step_size·m / (√v / correction_root + ε)
/// Bitwise identical to the Swift loop on every path (same operations and order, no FMA).
void loom_adam_update_s(int64_t n, float *p, const float *g, float *m, float *v,
                        const loom_adam_coefficients_s *coefficients);

/// SGD's update rules (SGD.Rule in LoomOptimizers), for loom_sgd_coefficients_s.rule.
enum {
    LOOM_SGD_PLAIN = 0,                 ///< p -= lr·(g + λp)
    LOOM_SGD_HEAVY_BALL = 1,            ///< g' = g + λp; u = βu + keep·g'; p -= lr·u
    LOOM_SGD_HEAVY_BALL_NESTEROV = 2,   ///< the same, then p -= lr·(g' + βu)
    LOOM_SGD_MOVING_AVERAGE = 3,        ///< u = βu + keep·(g + λp); p -= step_scale·u
    LOOM_SGD_LOOK_AHEAD = 4,            ///< last = last_step_scale·u; u as above; p += last − twice_step_scale·u
};

/// One SGD rule's per-element coefficients (keep is 1 − dampening for heavy ball, 1 − β for the
/// moving averages).
typedef struct {
    int rule;
    float learning_rate, weight_decay, momentum, keep, step_scale, last_step_scale, twice_step_scale;
} loom_sgd_coefficients_s;

/// SGD's update over n elements in place on the active path (u is not read for LOOM_SGD_PLAIN
/// and may be NULL there). Bitwise identical to the Swift loops of SGD.update on every path
/// (same operations and order, no FMA), for any split of the elements.
void loom_sgd_update_s(int64_t n, float *p, const float *g, float *u, const loom_sgd_coefficients_s *coefficients);

/// Rows first ..< first + count of the product p = B v with B symmetric, stored as its lower
/// triangle (row i at b + i * stride, entries 0...i): adds B[i, 0...i]·v[0...i] to out[i] and
/// v[i] B[i, 0..<i] to out[0..<i], so every stored entry is read once. On the active ISA.
void loom_dsymv_lower_rows(int64_t first, int64_t count, const double *b, int64_t stride,
                           const double *v, double *out);

/// Number of threads kernels may use (default: the number of online CPUs).
int loom_num_threads(void);
/// Sets the number of threads (clamped to >= 1). Not safe to call while kernels run.
void loom_set_num_threads(int n);

/// Runs body(context, begin, end) over [0, n) split into contiguous chunks of at least
/// `grain` iterations (at most loom_chunks_per_thread() per thread, claimed one at a time by
/// whichever thread is free), on a persistent worker pool (workers spin briefly, then sleep).
/// Runs inline when n <= grain or one thread is configured. Returns when all chunks are done.
/// Nested calls from inside a body run inline.
/// How many chunks per thread loom_parallel_for cuts a job into at most (LOOM_CHUNKS_PER_THREAD,
/// default 4), so that a thread the OS deschedules holds back a small part of the job.
int loom_chunks_per_thread(void);

/// Whether the pool currently counts the machine as busy: a waiting worker found within the
/// last 100 ms that another thread had taken its core. Workers then sleep as soon as they are
/// idle instead of spinning for the next job (see pool.c).
int loom_pool_machine_busy(void);
/// Marks the machine busy for the next 100 ms (nonzero) or quiet until a worker finds
/// otherwise (0); for tests and benchmarks.
void loom_pool_set_machine_busy(int busy);

void loom_parallel_for(int64_t n, int64_t grain,
                       void (*body)(void *context, int64_t begin, int64_t end),
                       void *context);

#ifdef __cplusplus
}
#endif

#endif

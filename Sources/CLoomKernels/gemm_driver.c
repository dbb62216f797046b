// loom_sgemm / loom_dgemm: pick the kernels of the active ISA, split big products over the
// worker pool, run the blocked loop nest (gemm_driver_impl.h) on each slice.
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "gemm_common.h"

// m*n*k below which a product stays on one thread (2*64^3 FLOP ~ 2.5 us on one core).
#define LOOM_GEMM_PARALLEL_MIN_MNK (64.0 * 64.0 * 64.0)
// Products of at most this many columns with a row-major A run as dot products along k, on
// every path, when k is at least this long (gemm_driver_impl.h): the lanes of each accumulator
// are summed once per element, which at k = 64 cost more than the tile's idle lanes (AVX-512
// float 1024x64x10: 0.79x on 1 thread, 0.85x on 2; k = 128 1.04x, k = 512 1.3x); 12 columns
// 1.01-1.17x, float64 on AVX2 (8-column tiles) 0.99-1.18x.
#define LOOM_GEMM_DOT_MAX_N 12
#define LOOM_GEMM_DOT_MIN_K 128

// Per-thread packing buffers, kept between calls (pool workers live for the whole process, so
// allocating per call would only add malloc/page-fault time). 64-byte aligned for zmm loads.
// A pthread key destructor frees them when a thread that called GEMM exits.
typedef struct {
    void *p[4]; // 0: B block, 1: A block, 2: all of A packed once for every slice of a job,
                // 3: Bᵀ of a product of few columns (dot products, see gemm_driver_impl.h)
    size_t cap[4];
} loom_gemm_buffers;

static pthread_key_t loom_buf_key;
static pthread_once_t loom_buf_once = PTHREAD_ONCE_INIT;
static _Thread_local loom_gemm_buffers *loom_tl_bufs;

static void loom_free_buffers(void *ptr) {
    loom_gemm_buffers *b = (loom_gemm_buffers *)ptr;
    free(b->p[0]);
    free(b->p[1]);
    free(b->p[2]);
    free(b->p[3]);
    free(b);
}

static void loom_make_key(void) { pthread_key_create(&loom_buf_key, loom_free_buffers); }

static void *loom_gemm_buffer(int which, size_t bytes) {
    loom_gemm_buffers *b = loom_tl_bufs;
    if (!b) {
        b = (loom_gemm_buffers *)calloc(1, sizeof *b);
        if (!b) return NULL;
        pthread_once(&loom_buf_once, loom_make_key);
        pthread_setspecific(loom_buf_key, b);
        loom_tl_bufs = b;
    }
    if (b->cap[which] < bytes) {
        free(b->p[which]);
        size_t cap = (bytes + 4095) & ~(size_t)4095;
        b->p[which] = aligned_alloc(64, cap);
        b->cap[which] = b->p[which] ? cap : 0;
    }
    return b->p[which];
}

// Dot-product jobs are numbered (from 1) so that each thread packs a job's Bᵀ once; the number
// of the job whose Bᵀ this thread's buffer 3 holds.
static _Atomic uint64_t loom_gemm_jobs;
static _Thread_local uint64_t loom_gemm_bt_job;

static const loom_gemm_desc_s *loom_select_s(loom_isa isa) {
#ifdef LOOM_HAVE_X86_KERNELS
    if (isa == LOOM_ISA_AVX512) return loom_gemm_avx512_s();
    if (isa == LOOM_ISA_AVX2) return loom_gemm_avx2_s();
#endif
    (void)isa;
    return loom_gemm_portable_s();
}

static const loom_gemm_desc_d *loom_select_d(loom_isa isa) {
#ifdef LOOM_HAVE_X86_KERNELS
    if (isa == LOOM_ISA_AVX512) return loom_gemm_avx512_d();
    if (isa == LOOM_ISA_AVX2) return loom_gemm_avx2_d();
#endif
    (void)isa;
    return loom_gemm_portable_d();
}

#define T float
#define DESC_T loom_gemm_desc_s
#define DPFX gemm_s
#define GEMM_NAME loom_sgemm
#define GEMM_RELU_NAME loom_sgemm_relu
#define GEMM_AFFINE_NAME loom_sgemm_affine
#define SELECT_DESC loom_select_s
#include "gemm_driver_impl.h"
#undef T
#undef DESC_T
#undef DPFX
#undef GEMM_NAME
#undef GEMM_RELU_NAME
#undef GEMM_AFFINE_NAME
#undef SELECT_DESC

#define T double
#define DESC_T loom_gemm_desc_d
#define DPFX gemm_d
#define GEMM_NAME loom_dgemm
#define GEMM_RELU_NAME loom_dgemm_relu
#define GEMM_AFFINE_NAME loom_dgemm_affine
#define SELECT_DESC loom_select_d
#include "gemm_driver_impl.h"

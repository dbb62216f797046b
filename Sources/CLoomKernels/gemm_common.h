// Internal interface between the GEMM driver (gemm_driver.c) and the per-ISA kernels.
// Not part of the public header.
#ifndef LOOM_GEMM_COMMON_H
#define LOOM_GEMM_COMMON_H

#include <stdint.h>

#include "loom_kernels.h"

// One ISA's kernels for one element type. The driver follows the BLIS/GotoBLAS loop nest:
//   jc over N in steps of nc   (B block kc x nc packed once, lives in L2/L3)
//   pc over K in steps of kc   (kc chosen so that a packed B micro-panel kc x nr stays in L1)
//   ic over M in steps of mc   (A block mc x kc, packed or read in place, lives in L2)
//   jr over nc in steps of nr, ir over mc in steps of mr -> micro-kernel (mr x nr in registers)
//
// pack_a  writes an mc x kc block of A as ceil(mc/mr) panels, each kc groups of mr values
//         (element (r, p) of a panel at p*mr + r), rows past mc zero-filled.
// pack_b  writes a kc x nc block of B as ceil(nc/nr) panels, each kc rows of nr values
//         (element (p, j) at p*nr + j), columns past nc zero-filled. Packing reads any strides,
//         which is how transposed and broadcast (stride 0) operands are handled without copies.
// kernel  C[0:mr, 0:nr] = alpha * Apanel · Bpanel + beta * C  (beta == 0: C is not read),
//         then, with a non-NULL bias (only with beta == 0), + bias[j] on column j, and with
//         relu, max(·, 0) as Loom's ReLU rounds it (NaN kept, -0 to +0): the epilogues of a
//         layer's affine map, applied to the tile in registers as it is stored.
//         A is addressed as a[r*a_rs + p*a_ps], in exactly one of two forms (the kernel has a
//         loop for each): (1, MR) for a packed panel, or (lda, 1) when a
//         row-major A is read in place (no packing needed: each row is already contiguous in p).
//         B is addressed as bp[p*b_rs + j]: b_rs = NR for a packed panel, or B's row stride
//         when a full panel of a row-major B is read in place (with either form of A).
//         mr <= MR and nr <= NR handle edge tiles; the B panel is always full width (packed
//         edge panels are zero-filled; a panel read in place is always a full one).
// pack_dot writes all of a k x n B (n <= 12) as Bᵀ in blocks of 16 k values, the layout dot
//         reads (below), zeros past k.
// dot     C[0:mr, 0:nr] (mr <= dmr, nr <= dnb) for a row-major A read in place (a[r*a_rs + p])
//         and Bᵀ packed by pack_dot in blocks of 16 k values (element (p, j) at
//         bt[(p / 16) * bt_bs + j * 16 + p % 16], bt_bs >= 16 * nr, zero past k, 64-byte
//         aligned), each element of C a dot product over all of k; the same alpha, beta, bias
//         and ReLU as the kernel. The driver uses it for products of few columns.
#define LOOM_GEMM_DESC(NAME, T)                                                                 \
    typedef struct {                                                                            \
        int mr, nr, kc, mc, nc;                                                                 \
        void (*pack_a)(int64_t mc, int64_t kc, const T *a, int64_t rs, int64_t cs, T *dst);     \
        void (*pack_b)(int64_t kc, int64_t nc, const T *b, int64_t rs, int64_t cs, T *dst);     \
        void (*kernel)(int64_t kc, const T *a, int64_t a_rs, int64_t a_ps, const T *bp,         \
                       int64_t b_rs, T *c, int64_t c_rs, int64_t c_cs, int64_t mr, int64_t nr,  \
                       T alpha, T beta, const T *bias, int relu);                               \
        int dmr, dnb;                                                                           \
        void (*pack_dot)(int64_t k, int64_t n, const T *b, int64_t rs, int64_t cs, T *dst);     \
        void (*dot)(int64_t k, const T *a, int64_t a_rs, const T *bt, int64_t bt_bs, T *c,      \
                    int64_t c_rs, int64_t c_cs, int64_t mr, int64_t nr, T alpha, T beta,        \
                    const T *bias, int relu);                                                   \
    } NAME;

LOOM_GEMM_DESC(loom_gemm_desc_s, float)
LOOM_GEMM_DESC(loom_gemm_desc_d, double)

const loom_gemm_desc_s *loom_gemm_portable_s(void);
const loom_gemm_desc_d *loom_gemm_portable_d(void);
#if defined(__x86_64__)
#define LOOM_HAVE_X86_KERNELS 1
const loom_gemm_desc_s *loom_gemm_avx2_s(void);
const loom_gemm_desc_d *loom_gemm_avx2_d(void);
const loom_gemm_desc_s *loom_gemm_avx512_s(void);
const loom_gemm_desc_d *loom_gemm_avx512_d(void);
#endif

#endif

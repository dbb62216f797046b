// The GEMM driver for one element type; included by gemm_driver.c once for float, once for
// double. Requires T, DESC_T, DPFX (name prefix), GEMM_NAME, GEMM_RELU_NAME, GEMM_AFFINE_NAME,
// SELECT_DESC(isa).
#define LOOM_DCAT_(a, b) a##_##b
#define LOOM_DCAT(a, b) LOOM_DCAT_(a, b)
#define DFN(x) LOOM_DCAT(DPFX, x)

typedef struct {
    int64_t m, n, k;
    T alpha, beta;
    const T *a;
    int64_t a_rs, a_cs;
    const T *b;
    int64_t b_rs, b_cs;
    T *c;
    int64_t c_rs, c_cs;
    const DESC_T *d;
    int parts;   // number of slices the work is split into (1 = single-threaded)
    int taper;   // slices shrink from first to last (more slices than threads), else equal
    int split_n; // slices are column ranges (else row ranges)
    int relu;    // epilogue: C = max(C, 0) (NaN kept) once a tile's last K block is in
    const T *ap; // non-NULL: A packed once for the whole job (see prepack_part), read by every slice
    int b_in_place; // full panels of a row-major B read in place, see gemm
    const T *bias;  // non-NULL: bias[j] added to column j by the kernel in the first K block (beta 0)
    int dot;        // the product runs as dot products (d->dot) against Bᵀ, see gemm and pack_bt
    uint64_t id;    // with dot: this job's number, so that a thread packs Bᵀ once per job
} DFN(job);

static void DFN(scale_c)(int64_t m, int64_t n, T beta, T *c, int64_t c_rs, int64_t c_cs) {
    if (beta == (T)1) return;
    for (int64_t i = 0; i < m; i++) {
        T *ci = c + i * c_rs;
        if (beta == (T)0) {
            for (int64_t j = 0; j < n; j++) ci[j * c_cs] = 0; // not read: NaN in C is dropped
        } else {
            for (int64_t j = 0; j < n; j++) ci[j * c_cs] *= beta;
        }
    }
}

// max(C, 0) over an m x n block, NaN kept (as Loom's ReLU kernel): v > 0 ? v : (NaN ? v : 0).
static void DFN(relu_c)(int64_t m, int64_t n, T *c, int64_t c_rs, int64_t c_cs) {
    for (int64_t i = 0; i < m; i++) {
        T *ci = c + i * c_rs;
        if (c_cs == 1) {
            for (int64_t j = 0; j < n; j++) ci[j] = ci[j] > (T)0 || ci[j] != ci[j] ? ci[j] : (T)0;
        } else {
            for (int64_t j = 0; j < n; j++) {
                const T v = ci[j * c_cs];
                ci[j * c_cs] = v > (T)0 || v != v ? v : (T)0;
            }
        }
    }
}

// C = bias in every row (an affine map with nothing to multiply), when beta == 0.
static void DFN(bias_c)(int64_t m, int64_t n, const T *bias, T *c, int64_t c_rs, int64_t c_cs) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) c[i * c_rs + j * c_cs] = bias[j];
}

// All of A packed once, as whole-K panels of MR rows: panel t holds rows t*MR.. as k groups of
// MR values, so the K block starting at pc is the panel's run from pc*MR on, the same layout
// pack_a gives a block. Chunks of panels are packed on the kernel threads.
static void DFN(prepack_part)(void *ctx, int64_t begin, int64_t end) {
    const DFN(job) *j = (const DFN(job) *)ctx;
    const int64_t MR = j->d->mr;
    for (int64_t t = begin; t < end; t++) {
        const int64_t rows = j->m - t * MR < MR ? j->m - t * MR : MR;
        j->d->pack_a(rows, j->k, j->a + t * MR * j->a_rs, j->a_rs, j->a_cs, (T *)j->ap + t * MR * j->k);
    }
}

// Bᵀ for the dot products, in blocks of 16 k values (the kernel's pack_dot), packed by each
// thread that runs a slice of the job, once per job, into its own buffer: packed by the calling
// thread alone and read by the other, Bᵀ (20 KiB for 512x10 floats) crossed between cores on
// every call, and 128x512x10 ran slower on 2 threads than on 1.
static const T *DFN(pack_bt)(const DFN(job) *j) {
    const int64_t n = j->n, k = j->k, blocks = (k + 15) / 16;
    T *bt = (T *)loom_gemm_buffer(3, (size_t)(blocks * 16 * n) * sizeof(T));
    if (!bt) abort(); // out of memory: nothing sensible to return
    if (loom_gemm_bt_job == j->id) return bt;
    j->d->pack_dot(k, n, j->b, j->b_rs, j->b_cs, bt);
    loom_gemm_bt_job = j->id;
    return bt;
}

// The sequential blocked product for C[m0:m1, n0:n1].
static void DFN(run)(const DFN(job) *j, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    const DESC_T *d = j->d;
    if (j->dot) {
        // Dot products: each row tile against every column group, its rows of A still in L1.
        const T *bt = DFN(pack_bt)(j);
        for (int64_t i = m0; i < m1; i += d->dmr) {
            const int64_t mr = m1 - i < d->dmr ? m1 - i : d->dmr;
            for (int64_t jc = n0; jc < n1; jc += d->dnb) {
                const int64_t nr = n1 - jc < d->dnb ? n1 - jc : d->dnb;
                d->dot(j->k, j->a + i * j->a_rs, j->a_rs, bt + jc * 16, 16 * j->n,
                       j->c + i * j->c_rs + jc * j->c_cs, j->c_rs, j->c_cs, mr, nr, j->alpha, j->beta,
                       j->bias ? j->bias + jc : NULL, j->relu);
            }
        }
        return;
    }
    const int64_t MR = d->mr, NR = d->nr;
    const int64_t m = m1 - m0, n = n1 - n0, k = j->k;
    // Balanced blocks: k = 784 with KC = 192 becomes 4 blocks of 196, not 4 x 192 + 16, so no
    // pass over C is spent on a sliver of K.
    const int64_t nkb = (k + d->kc - 1) / d->kc, kcb = (k + nkb - 1) / nkb;
    const int64_t nmb = (m + d->mc - 1) / d->mc;
    const int64_t mcb = ((m + nmb - 1) / nmb + MR - 1) / MR * MR;
    const int64_t ncmax = n < d->nc ? n : d->nc;
    const int64_t ncpad = (ncmax + NR - 1) / NR * NR;
    // A row-major A (unit column stride) is read in place by the micro-kernel: each of its rows
    // is already contiguous in k, so packing it would only copy. Other layouts are packed.
    // With j->ap, A was packed once for all slices before they started.
    const int a_in_place = j->a_cs == 1 && !j->ap, pack_blocks = !a_in_place && !j->ap;
    T *bbuf = (T *)loom_gemm_buffer(0, (size_t)(kcb * ncpad) * sizeof(T));
    T *abuf = pack_blocks ? (T *)loom_gemm_buffer(1, (size_t)(kcb * mcb) * sizeof(T)) : NULL;
    if (!bbuf || (pack_blocks && !abuf)) abort(); // out of memory: nothing sensible to return

    for (int64_t jc = 0; jc < n; jc += d->nc) {
        const int64_t nc = n - jc < d->nc ? n - jc : d->nc;
        for (int64_t pc = 0; pc < k; pc += kcb) {
            const int64_t kc = k - pc < kcb ? k - pc : kcb;
            const T beta = pc == 0 ? j->beta : (T)1; // later K blocks accumulate
            // The epilogues ride on the kernel's store: the bias with the first K block (C not yet
            // written), the ReLU with the last (C final), each on the tile still in registers.
            const int relu = j->relu && pc + kc == k;
            // With B read in place only a last partial panel is packed (a kernel reads whole panels).
            const T *bblk = j->b + pc * j->b_rs + (n0 + jc) * j->b_cs;
            const int64_t nfull = j->b_in_place ? nc / NR * NR : 0;
            if (nfull < nc) d->pack_b(kc, nc - nfull, bblk + nfull * j->b_cs, j->b_rs, j->b_cs, bbuf);
            for (int64_t ic = 0; ic < m; ic += mcb) {
                const int64_t mc = m - ic < mcb ? m - ic : mcb;
                const T *ablk = j->a + (m0 + ic) * j->a_rs + pc * j->a_cs;
                if (pack_blocks) d->pack_a(mc, kc, ablk, j->a_rs, j->a_cs, abuf);
                for (int64_t jr = 0; jr < nc; jr += NR) {
                    const int64_t nr = nc - jr < NR ? nc - jr : NR;
                    const T *bp = jr < nfull ? bblk + jr : bbuf + (jr - nfull) * kc;
                    const int64_t b_rs = jr < nfull ? j->b_rs : NR;
                    T *cc = j->c + (m0 + ic) * j->c_rs + (n0 + jc + jr) * j->c_cs;
                    const T *bias = j->bias && pc == 0 ? j->bias + n0 + jc + jr : NULL;
                    for (int64_t ir = 0; ir < mc; ir += MR) {
                        const int64_t mr = mc - ir < MR ? mc - ir : MR;
                        if (a_in_place)
                            d->kernel(kc, ablk + ir * j->a_rs, j->a_rs, 1, bp, b_rs, cc + ir * j->c_rs,
                                      j->c_rs, j->c_cs, mr, nr, j->alpha, beta, bias, relu);
                        else if (j->ap)
                            d->kernel(kc, j->ap + (m0 + ic + ir) * k + pc * MR, 1, MR, bp, b_rs,
                                      cc + ir * j->c_rs, j->c_rs, j->c_cs, mr, nr, j->alpha, beta, bias, relu);
                        else
                            d->kernel(kc, abuf + ir * kc, 1, MR, bp, b_rs, cc + ir * j->c_rs, j->c_rs,
                                      j->c_cs, mr, nr, j->alpha, beta, bias, relu);
                    }
                }
            }
        }
    }
}

// The weight of slices 0..t-1 of P together: with taper slice t weighs P - t (the slices shrink
// linearly, the last about a tile; see gemm below for why), without it every slice weighs 1.
static inline int64_t DFN(weight_before)(int64_t t, int64_t P, int taper) {
    return taper ? t * P - t * (t - 1) / 2 : t;
}

// parallel_for body: index t computes slice t of `parts` (whole micro-tiles per slice).
static void DFN(part)(void *ctx, int64_t begin, int64_t end) {
    const DFN(job) *j = (const DFN(job) *)ctx;
    for (int64_t t = begin; t < end; t++) {
        const int64_t unit = j->split_n ? j->d->nr : j->d->mr;
        const int64_t len = j->split_n ? j->n : j->m;
        const int64_t tiles = (len + unit - 1) / unit;
        const int64_t P = j->parts, total = DFN(weight_before)(P, P, j->taper);
        int64_t lo = DFN(weight_before)(t, P, j->taper) * tiles / total * unit;
        int64_t hi = DFN(weight_before)(t + 1, P, j->taper) * tiles / total * unit;
        if (hi > len) hi = len;
        if (lo >= hi) continue;
        if (j->split_n) DFN(run)(j, 0, j->m, lo, hi);
        else DFN(run)(j, lo, hi, 0, j->n);
    }
}

static void DFN(gemm)(int64_t m, int64_t n, int64_t k, T alpha, const T *a, int64_t a_rs, int64_t a_cs,
                      const T *b, int64_t b_rs, int64_t b_cs, T beta, T *c, int64_t c_rs, int64_t c_cs,
                      const T *bias, int relu) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha == (T)0) {
        if (bias) DFN(bias_c)(m, n, bias, c, c_rs, c_cs); // beta == 0 with a bias
        else DFN(scale_c)(m, n, beta, c, c_rs, c_cs);
        if (relu) DFN(relu_c)(m, n, c, c_rs, c_cs);
        return;
    }
    const DESC_T *d = SELECT_DESC(loom_active_isa());
    // A product narrower than a micro-tile whose A is a transposed view (the weight gradient
    // Zᵀ·dY of a 10-class output layer, 512x128x10) runs as its transpose, Cᵀ = Bᵀ·Aᵀ: as it
    // stands, every tile uses 10 of the tile's 64 columns and A must be packed element by
    // element (more work than the arithmetic at k = 128); transposed, the tiles are full and
    // Aᵀ is a row-major B, packed by rows. Each element's sum over k is the same, in the same
    // order; only alpha and beta may round differently, C' being strided (a row-contiguous C
    // whose width is a whole number of vectors took the vector epilogue before).
    // (A bias runs along C's rows, not C''s: such a product keeps its shape.)
    if (a_rs == 1 && n < d->nr && m >= d->nr && !bias) {
        DFN(gemm)(n, m, k, alpha, b, b_cs, b_rs, a, a_cs, a_rs, beta, c, c_cs, c_rs, NULL, relu);
        return;
    }
    DFN(job) j = {m, n, k, alpha, beta, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, c_cs, d, 1, 0, 1, relu, NULL, 0, bias,
                  0, 0};
    // A product of few columns whose A is row-major (an output layer's forward pass, 128x512x10)
    // runs as dot products along k (the kernel's dot, see gemm_kernel_impl.h) against Bᵀ, packed
    // by each thread that runs a slice (pack_bt): n * k elements, a tenth of A for 10 columns.
    if (a_cs == 1 && n <= LOOM_GEMM_DOT_MAX_N && k >= LOOM_GEMM_DOT_MIN_K && c_rs != 0 && c_cs != 0) {
        j.dot = 1;
        j.id = atomic_fetch_add(&loom_gemm_jobs, 1) + 1;
    }
    const int nt = loom_num_threads();
    // Split only when the product is big enough that even a cold fork (a sleeping worker) is
    // small next to it; with a warm pool the fork-join costs ~0.1 us. Slices split N whenever A
    // is read in place, since then no slice packs anything another one packs too; otherwise they
    // split the larger dimension, so that the operand each slice packs again (A when splitting N,
    // B when splitting M) is the smaller one. (Inference's 1024x784x512 split M, and every slice
    // packed all of W: 8.5% of the pass in pack_b. Split N it ran 3-10% faster, one process,
    // alternating calls.) C with a zero stride aliases itself: stay sequential.
    // Skinny products (one side under a micro-tile, like an MLP's 10-class output layer, or
    // k < 32, like its input gradient with k = 10) split at the same size as any other. They
    // once needed 8x the work (128x512x10 ran at 60 GFLOP/s on one thread and 38 on two,
    // before the pool's workers spun through a burst); kept on one thread they left the other
    // idle for 4% of an MLP step. Zen 4, one process, alternating calls in the step's order
    // (2 threads): 128x512x10 24 -> 15 us, 512x128x10 At 44 -> 28, 128x10x512 Bt 27-31 -> 16;
    // on the AVX2 path 23-27 -> 15-18, 30-33 -> 21-24, 30-32 -> 17-19.
    // A whole-job copy of A (below) is bounded, since it is kept for the thread's next call:
    // past 32 MiB the slices pack block by block.
    const int64_t panels = (m + j.d->mr - 1) / j.d->mr;
    const int fits = (double)(panels * j.d->mr) * (double)k * sizeof(T) <= 32.0 * 1024 * 1024;
    if (nt > 1 && (double)m * (double)n * (double)k >= LOOM_GEMM_PARALLEL_MIN_MNK && c_rs != 0 && c_cs != 0) {
        const int64_t ntiles = (n + j.d->nr - 1) / j.d->nr, mtiles = (m + j.d->mr - 1) / j.d->mr;
        j.split_n = !j.dot && (((j.a_cs == 1 || n >= m) && ntiles >= 2) || mtiles < 2);
        const int64_t tiles = j.split_n ? ntiles : mtiles;
        // More slices than threads (claimed one at a time, see pool.c), so that a thread the OS
        // takes off its core holds back one small slice, not half the product. Each slice packs
        // the operand it shares with the others again (B when splitting M, A when splitting N
        // unless A is read in place or packed once for all of them, below), so slices average at
        // least a cache block of rows (mc) or 8 tiles of columns: the repacking then stays near
        // 1/mc of the arithmetic. Dot products pack nothing per slice (each thread packs Bᵀ
        // once per job), so they taper like a product with nothing to repack.
        const int shared_free = (j.split_n && (j.a_cs == 1 || fits)) || j.dot;
        const int64_t min_tiles = shared_free ? 2 : j.split_n ? 8 : (j.d->mc + j.d->mr - 1) / j.d->mr;
        int64_t parts = (int64_t)nt * loom_chunks_per_thread();
        if (parts > tiles / min_tiles) parts = tiles / min_tiles;
        parts -= parts % nt; // whole rounds: 5 slices on 2 threads would leave one doing 3
        if (parts < nt) parts = tiles < nt ? tiles : nt;
        j.parts = (int)parts;
        j.taper = parts > nt;
    }
    // Pack A once for the whole job, instead of block by block in each slice, when
    //  - slices split N and A needs packing: each slice would pack all of A again (the weight
    //    gradient Z1ᵀ·dY2 of a 512-512 layer, 512x128x512 with A transposed, packed it 8 times);
    //  - A is read in place with rows a multiple of 4 KiB apart, and N spans several panels: an
    //    A block's rows then fall into a few sets of L1 and L2 (1024 float64 columns: 96 rows
    //    in 8 sets of L2, 12 lines a set in 8 ways) and evict each other; packed, they are one
    //    contiguous run. dgemm 1024^3 ran 1.07x faster on two threads packed once (one
    //    process, alternating calls; packed block by block in each slice, 1.13x on one thread
    //    but 0.93x on two, since every slice then packed A again).
    const int aliased = j.a_cs == 1 && j.a_rs != 0 && (j.a_rs * (int64_t)sizeof(T)) % 4096 == 0
                        && n >= 4 * j.d->nr && m >= 2 * j.d->mr;
    const int repacked = j.parts > 1 && j.split_n && j.a_cs != 1;
    if ((aliased || repacked) && !j.dot && fits && (double)m * (double)n * (double)k >= LOOM_GEMM_PARALLEL_MIN_MNK) {
        T *ap = (T *)loom_gemm_buffer(2, (size_t)(panels * j.d->mr * k) * sizeof(T));
        if (!ap) abort(); // out of memory: nothing sensible to return
        j.ap = ap;
        if (j.parts > 1) loom_parallel_for(panels, 4, DFN(prepack_part), &j);
        else DFN(prepack_part)(&j, 0, panels);
    }
    // The slices shrink from the first to the last: slice t of P gets (P - t) / (P (P + 1) / 2)
    // of the tiles, so the last ones are a tile or two. Claimed in order and equal in size, they
    // ended unevenly: two cores here run at different speeds side by side (fma_peak: 86 and 75
    // GFLOP/s), and whichever thread was left with the last slice kept the other waiting for up
    // to a whole one. The operand each slice packs again (if any) is packed P times either way.
    // One process, alternating calls with the even split (30-40 pairs, 2 threads): 128x784x512
    // 1.05-1.06x, 128x512x512 1.05-1.06x, 1024x784x512 1.08x (split N), 784x128x512 with A
    // transposed 1.01-1.04x (split M). With no more slices than threads (each thread takes one)
    // the taper only unbalances them: the slices are then equal (Zen 4, AVX-512's 64-column
    // tiles: 784x128x512 with A transposed 1.22x, 512x128x512 1.12-1.19x).
    // A product of few rows reads the full panels of a row-major B in place: packing B costs
    // about MR/m of the arithmetic (each packed panel serves m/MR tiles), and a panel read in
    // place costs a run of a B row per k step, cheap where the run is long. So the limit on m
    // depends on the panel's width: AVX-512's panels (256 bytes a row, 4 lines of one page)
    // are read in place up to 128 rows on 2 threads (a layer's forward pass at a small batch)
    // and 64 on one; AVX2's 16-float panels (one line, a new page every k step for rows of 4
    // KiB) only for two tiles of rows, and narrower panels (float64 on AVX2, the portable
    // path's) never. The transposed 10-class weight gradient (Cᵀ = Bᵀ·Aᵀ above, 10 rows) is such
    // a product. Zen 4, one process, alternating calls against packing: AVX-512 float on one
    // thread 6x784x512 1.94x, 12 rows 1.48x, 32 1.25x, 64 1.10x, 128 1.05x, 256 1.01x, 1024 0.95x;
    // float64 12 rows 1.41x, 64 1.05x, 128 0.94x; 512x128x10 At 1.37x (float64 1.45x) on one
    // thread, 1.18x (1.34x) on two; 2 threads 32x784x1024 1.10x, 128x784x512 1.07x, 256 or
    // 1024 rows 1.00x. AVX2 float 12 rows 1.25x (1.22x on 2 threads), 24 1.12x, 64 1.01x, 128
    // 0.95x, 32x784x1024 on 2 threads 0.80x (0.45x in stop 28); float64 12 rows 0.91x;
    // portable float 1.01x, float64 0.89x. A may be read in place or packed.
    // (b_rs == NR would look like a packed panel to the kernel, whose loads assume alignment.)
    const int64_t few_rows = j.d->nr * (int64_t)sizeof(T) >= 256 ? (j.parts > 1 ? 128 : 64)
                             : j.d->nr >= 16 ? 2 * j.d->mr : 0;
    j.b_in_place = !j.dot && j.b_cs == 1 && j.b_rs != j.d->nr && m <= few_rows;
    if (j.parts > 1) loom_parallel_for(j.parts, 1, DFN(part), &j);
    else DFN(run)(&j, 0, m, 0, n);
}

void GEMM_NAME(int64_t m, int64_t n, int64_t k, T alpha, const T *a, int64_t a_rs, int64_t a_cs,
               const T *b, int64_t b_rs, int64_t b_cs, T beta, T *c, int64_t c_rs, int64_t c_cs) {
    DFN(gemm)(m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, c_rs, c_cs, NULL, 0);
}

void GEMM_RELU_NAME(int64_t m, int64_t n, int64_t k, T alpha, const T *a, int64_t a_rs, int64_t a_cs,
                    const T *b, int64_t b_rs, int64_t b_cs, T beta, T *c, int64_t c_rs, int64_t c_cs) {
    DFN(gemm)(m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, c_rs, c_cs, NULL, 1);
}

void GEMM_AFFINE_NAME(int64_t m, int64_t n, int64_t k, T alpha, const T *a, int64_t a_rs, int64_t a_cs,
                      const T *b, int64_t b_rs, int64_t b_cs, const T *bias, T *c, int64_t c_rs,
                      int64_t c_cs, int relu) {
    DFN(gemm)(m, n, k, alpha, a, a_rs, a_cs, b, b_rs, b_cs, (T)0, c, c_rs, c_cs, bias, relu);
}

#undef DFN
#undef LOOM_DCAT
#undef LOOM_DCAT_

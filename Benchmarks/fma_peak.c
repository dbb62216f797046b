// The floating-point ceiling of this machine for each of Loom's kernel paths, on 1 and 2 threads:
//   avx512    zmm FMA (16 float lanes), 12 independent chains per thread
//   avx2      ymm FMA (8 lanes), 12 chains
//   portable  xmm multiply and add (SSE2, 4 lanes, no FMA: what the baseline x86-64 build of the
//             portable kernel can issue), 12 chains of a multiply feeding an add
// 12 independent chains cover the FMA latency (4-5 cycles) times the two FMA pipes of every x86
// core Loom targets. Two threads run the same loop at the same time, so the 2-thread figure is
// what both cores give together now (these shared hosts change speed by tens of percent over
// minutes, which is why every benchmark table quotes the ceiling measured in its own run).
//
//   cc -O2 -pthread Benchmarks/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak [--json] [seconds]
//
// `seconds` is the length of each measurement (default 1). With --json: one object per line,
// {"name": "fma_peak avx2 2t", "unit": "GFLOP/s", "median": ..., "per_thread": [...]}.
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { CHAINS = 12, BATCH = 1000000 };

static double seconds_per_run = 1.0;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static volatile float sink;

// Each kernel runs batches of BATCH iterations until `seconds_per_run` has passed and returns
// GFLOP/s (an FMA counts 2 FLOP per lane; a multiply and an add 1 each).
#define PEAK_LOOP(VT, LANES, FLOP_PER_LANE, SET1, STEP, REDUCE)                                   \
    VT acc[CHAINS];                                                                               \
    const VT x = SET1(1.0000001f), y = SET1(0.9999999f);                                          \
    for (int i = 0; i < CHAINS; i++) acc[i] = SET1((float)i);                                     \
    long iterations = 0;                                                                          \
    const double start = now();                                                                   \
    double elapsed;                                                                               \
    do {                                                                                          \
        for (long n = 0; n < BATCH; n++) {                                                        \
            _Pragma("GCC unroll 12") for (int i = 0; i < CHAINS; i++) acc[i] = STEP(acc[i], x, y); \
        }                                                                                         \
        iterations += BATCH;                                                                      \
        elapsed = now() - start;                                                                  \
    } while (elapsed < seconds_per_run);                                                          \
    float s = 0;                                                                                  \
    for (int i = 0; i < CHAINS; i++) s += REDUCE(acc[i]);                                         \
    sink = s;                                                                                     \
    return iterations * (double)CHAINS * LANES * FLOP_PER_LANE / elapsed * 1e-9;

__attribute__((target("avx512f"))) static float reduce512(__m512 v) { return _mm512_reduce_add_ps(v); }
__attribute__((target("avx512f,fma"))) static double avx512_gflops(void) {
    PEAK_LOOP(__m512, 16, 2, _mm512_set1_ps, _mm512_fmadd_ps, reduce512)
}

__attribute__((target("avx2,fma"))) static float reduce256(__m256 v) {
    float lanes[8], s = 0;
    _mm256_storeu_ps(lanes, v);
    for (int j = 0; j < 8; j++) s += lanes[j];
    return s;
}
__attribute__((target("avx2,fma"))) static double avx2_gflops(void) {
    PEAK_LOOP(__m256, 8, 2, _mm256_set1_ps, _mm256_fmadd_ps, reduce256)
}

static float reduce128(__m128 v) {
    float lanes[4];
    _mm_storeu_ps(lanes, v);
    return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}
static inline __m128 mul_add128(__m128 a, __m128 x, __m128 y) { return _mm_add_ps(_mm_mul_ps(a, x), y); }
static double portable_gflops(void) { PEAK_LOOP(__m128, 4, 2, _mm_set1_ps, mul_add128, reduce128) }

typedef double (*kernel_fn)(void);
static void *run_thread(void *arg) {
    double *slot = (double *)arg;
    *slot = ((kernel_fn) * (void **)(slot + 1))();
    return NULL;
}

static void report(int json, const char *isa, kernel_fn kernel) {
    // 1 thread
    const double one = kernel();
    if (json) printf("{\"name\": \"fma_peak %s 1t\", \"unit\": \"GFLOP/s\", \"median\": %.1f}\n", isa, one);
    else printf("%-8s 1 thread:  %6.1f GFLOP/s\n", isa, one);
    // 2 threads at once; slot[0] receives the result, slot[1] holds the kernel pointer.
    double slots[2][2];
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) {
        *(void **)(slots[i] + 1) = (void *)kernel;
        pthread_create(&threads[i], NULL, run_thread, slots[i]);
    }
    for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
    const double a = slots[0][0], b = slots[1][0];
    if (json)
        printf("{\"name\": \"fma_peak %s 2t\", \"unit\": \"GFLOP/s\", \"median\": %.1f, \"per_thread\": [%.1f, %.1f]}\n",
               isa, a + b, a, b);
    else printf("%-8s 2 threads: %6.1f GFLOP/s (%.1f + %.1f)\n", isa, a + b, a, b);
    fflush(stdout);
}

int main(int argc, char **argv) {
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else seconds_per_run = atof(argv[i]) > 0 ? atof(argv[i]) : seconds_per_run;
    }
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) report(json, "avx512", avx512_gflops);
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) report(json, "avx2", avx2_gflops);
    report(json, "portable", portable_gflops);
    return 0;
}

// The FP32 FMA peak of this machine: 12 independent chains of fused multiply-adds per thread
// (enough to cover the FMA latency on every x86 core Loom targets), zmm and ymm, 1 and 2
// threads. The ceiling every GEMM and training-step figure in BENCHMARKS.md is compared to.
//
//   cc -O2 -pthread Benchmarks/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

enum { CHAINS = 12, ITERATIONS = 200000000 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static volatile float sink;

__attribute__((target("avx512f"))) static double zmm_gflops(void) {
    __m512 acc[CHAINS];
    const __m512 x = _mm512_set1_ps(1.0000001f), y = _mm512_set1_ps(0.9999999f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
    const double start = now();
    for (long n = 0; n < ITERATIONS; n++) {
#pragma GCC unroll 12
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
    }
    const double seconds = now() - start;
    float s = 0;
    for (int i = 0; i < CHAINS; i++) s += _mm512_reduce_add_ps(acc[i]);
    sink = s;
    return ITERATIONS * (double)CHAINS * 16 * 2 / seconds * 1e-9;
}

__attribute__((target("avx2,fma"))) static double ymm_gflops(void) {
    __m256 acc[CHAINS];
    const __m256 x = _mm256_set1_ps(1.0000001f), y = _mm256_set1_ps(0.9999999f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps((float)i);
    const double start = now();
    for (long n = 0; n < ITERATIONS; n++) {
#pragma GCC unroll 12
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
    }
    const double seconds = now() - start;
    float lanes[8], s = 0;
    for (int i = 0; i < CHAINS; i++) {
        _mm256_storeu_ps(lanes, acc[i]);
        for (int j = 0; j < 8; j++) s += lanes[j];
    }
    sink = s;
    return ITERATIONS * (double)CHAINS * 8 * 2 / seconds * 1e-9;
}

static void *zmm_thread(void *result) {
    *(double *)result = zmm_gflops();
    return NULL;
}

int main(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        puts("this CPU has no AVX2 + FMA");
        return 1;
    }
    printf("1 thread, ymm: %.1f GFLOP/s\n", ymm_gflops());
    if (!__builtin_cpu_supports("avx512f")) return 0;
    printf("1 thread, zmm: %.1f GFLOP/s\n", zmm_gflops());
    pthread_t threads[2];
    double results[2];
    for (int i = 0; i < 2; i++) pthread_create(&threads[i], NULL, zmm_thread, &results[i]);
    for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
    printf("2 threads, zmm: %.1f + %.1f = %.1f GFLOP/s\n", results[0], results[1], results[0] + results[1]);
    return 0;
}

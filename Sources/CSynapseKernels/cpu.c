// What this CPU can do (its vector level, its FMA peak) and the allocator's set-up.
#include "synapse_kernels.h"
#include "internal.h"
#include <stdatomic.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void synapse_configure_allocator(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

#if defined(__x86_64__)
#include <immintrin.h>

int synapse_cpu_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
}

/* The CPU level, asked once; relaxed atomics, as several pool threads may ask first at once
   (a plain static was a data race ThreadSanitizer reported, harmless but undefined). */
int synapse_cached_cpu_level(void) {
    static _Atomic int level = -1;
    int known = atomic_load_explicit(&level, memory_order_relaxed);
    if (known < 0) {
        known = synapse_cpu_level();
        atomic_store_explicit(&level, known, memory_order_relaxed);
    }
    return known;
}

__attribute__((target("avx512f,fma")))
static double fma_peak_avx512(long iterations) {
    __m512 acc[16];
    for (int i = 0; i < 16; i++) acc[i] = _mm512_set1_ps((float)i);
    const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
    for (long n = 0; n < iterations; n++)
        for (int i = 0; i < 16; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
    float sink = 0;
    for (int i = 0; i < 16; i++) sink += _mm512_reduce_add_ps(acc[i]);
    volatile float keep = sink; (void)keep;
    return (double)iterations * 16 * 16 * 2;
}

__attribute__((target("avx2,fma")))
static double fma_peak_avx2(long iterations) {
    __m256 acc[16];
    for (int i = 0; i < 16; i++) acc[i] = _mm256_set1_ps((float)i);
    const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
    for (long n = 0; n < iterations; n++)
        for (int i = 0; i < 16; i++) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
    float lanes[8], sink = 0;
    for (int i = 0; i < 16; i++) { _mm256_storeu_ps(lanes, acc[i]); for (int j = 0; j < 8; j++) sink += lanes[j]; }
    volatile float keep = sink; (void)keep;
    return (double)iterations * 16 * 8 * 2;
}

double synapse_fma_peak(long iterations) {
    int level = synapse_cpu_level();
    if (level == 2) return fma_peak_avx512(iterations);
    if (level == 1) return fma_peak_avx2(iterations);
    return 0;
}

#else

double synapse_fma_peak(long iterations) { return 0; }
int synapse_cpu_level(void) { return 0; }
int synapse_cached_cpu_level(void) { return 0; }

#endif

// Private to the C kernels: the per-CPU compilation macro and the cached CPU level.
#ifndef SYNAPSE_INTERNAL_H
#define SYNAPSE_INTERNAL_H

// ThreadSanitizer instruments ifunc resolvers, which the dynamic loader runs before TSan is set
// up (a crash at start-up): under TSan the loops are compiled once, for the baseline CPU.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SYNAPSE_NO_IFUNC 1
#endif
#endif
#if defined(__x86_64__) && defined(__linux__) && !defined(SYNAPSE_NO_IFUNC)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

/// `synapse_cpu_level()`, asked once (cpu.c).
int synapse_cached_cpu_level(void);

#include <stdint.h>
#include <string.h>

// exp(x) by Cody–Waite range reduction, x = n·ln 2 + r with |r| ≤ ln 2 / 2, and Cephes's expf
// polynomial for e^r; 2ⁿ is built in the exponent bits. Below −87 the result is 0 (flushes −∞).
// Shared by the attention softmax and GELU; compiled inside each caller's target function.
static inline __attribute__((always_inline)) float synapse_exp_lane(float x) {
#pragma clang fp contract(fast)
    float clamped = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    float t = clamped * 1.44269504088896341f;
    float n = (t + 12582912.0f) - 12582912.0f;          // round to nearest (|t| < 2²²)
    float r = clamped - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return x < -87.0f ? 0.0f : p * scale;
}

#endif

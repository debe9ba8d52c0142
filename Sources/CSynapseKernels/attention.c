// The exponentials of fused attention's online softmax (Kernels/AttentionKernels.swift), written
// as plain loops the compiler vectorises, once per instruction set.
#include "synapse_attention.h"
#include "internal.h"
#include <stdint.h>
#include <string.h>

#pragma clang fp contract(fast)

// exp(x) by Cody–Waite range reduction, x = n·ln 2 + r with |r| ≤ ln 2 / 2, and Cephes's expf
// polynomial for e^r; 2ⁿ is built in the exponent bits. Below −87 the result is 0 (flushes −∞).
static inline __attribute__((always_inline)) float exp_lane(float x) {
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

#define EXP_ROW_BODY                                                          \
    float partial[16] = {0};                                                  \
    long j = 0;                                                               \
    for (; j + 16 <= n; j += 16) {                                            \
        for (int lane = 0; lane < 16; lane++) {                               \
            float e = exp_lane(x[j + lane] - shift);                          \
            x[j + lane] = e;                                                  \
            partial[lane] += e;                                               \
        }                                                                     \
    }                                                                         \
    for (int lane = 0; j < n; j++, lane++) {                                  \
        float e = exp_lane(x[j] - shift);                                     \
        x[j] = e;                                                             \
        partial[lane] += e;                                                   \
    }                                                                         \
    float sum = 0;                                                            \
    for (int lane = 0; lane < 16; lane++) sum += partial[lane];               \
    return sum;

#if defined(__x86_64__)
__attribute__((target("avx512f,fma")))
static float exp_row_avx512(float *x, long n, float shift) { EXP_ROW_BODY }

__attribute__((target("avx2,fma")))
static float exp_row_avx2(float *x, long n, float shift) { EXP_ROW_BODY }
#endif

static float exp_row_portable(float *x, long n, float shift) { EXP_ROW_BODY }

float synapse_attention_exp_row_f32(float *x, long n, float shift) {
#if defined(__x86_64__)
    int level = synapse_cached_cpu_level();
    if (level == 2) return exp_row_avx512(x, n, shift);
    if (level == 1) return exp_row_avx2(x, n, shift);
#endif
    return exp_row_portable(x, n, shift);
}

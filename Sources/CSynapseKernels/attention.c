// The exponentials of fused attention's online softmax (Kernels/AttentionKernels.swift), written
// as plain loops the compiler vectorises, once per instruction set.
#include "synapse_attention.h"
#include "internal.h"
#include <stdint.h>

#pragma clang fp contract(fast)

#define EXP_ROW_BODY                                                          \
    float partial[16] = {0};                                                  \
    long j = 0;                                                               \
    for (; j + 16 <= n; j += 16) {                                            \
        for (int lane = 0; lane < 16; lane++) {                               \
            float e = synapse_exp_lane(x[j + lane] - shift);                          \
            x[j + lane] = e;                                                  \
            partial[lane] += e;                                               \
        }                                                                     \
    }                                                                         \
    for (int lane = 0; j < n; j++, lane++) {                                  \
        float e = synapse_exp_lane(x[j] - shift);                                     \
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

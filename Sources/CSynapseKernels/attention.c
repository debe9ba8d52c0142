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

void synapse_attention_transpose_f32(const float *x, long rows, long columns, long stride, float *out) {
    for (long r = 0; r < rows && r < 16; r++)
        for (long c = 0; c < columns; c += 16) __builtin_prefetch(x + r * stride + c);
    for (long r0 = 0; r0 < rows; r0 += 16) {
        long r1 = r0 + 16 < rows ? r0 + 16 : rows;
        for (long r = r1; r < r1 + 16 && r < rows; r++)
            for (long c = 0; c < columns; c += 16) __builtin_prefetch(x + r * stride + c);
        for (long r = r0; r < r1; r++) {
            const float *source = x + r * stride;
            float *target = out + r;
            for (long c = 0; c < columns; c++) target[c * rows] = source[c];
        }
    }
}

#include "synapse_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

int synapse_cpu_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
}

/* Writes one accumulator row: whole vectors for full tiles, element by element at the edges. */
#define STORE_ROW(TYPE, WIDTH, LOAD, STORE, SET1, ADD, MUL, ROW, V0, V1)                          \
    if ((ROW) < rows) {                                                                          \
        float *target = c + (ROW) * ldc;                                                         \
        if (columns == 2 * WIDTH) {                                                              \
            TYPE x0 = MUL(V0, SET1(alpha)), x1 = MUL(V1, SET1(alpha));                           \
            if (beta != 0) {                                                                     \
                x0 = ADD(x0, MUL(LOAD(target), SET1(beta)));                                     \
                x1 = ADD(x1, MUL(LOAD(target + WIDTH), SET1(beta)));                             \
            }                                                                                    \
            STORE(target, x0); STORE(target + WIDTH, x1);                                        \
        } else {                                                                                 \
            float lanes[2 * WIDTH];                                                              \
            STORE(lanes, V0); STORE(lanes + WIDTH, V1);                                          \
            for (long j = 0; j < columns; j++)                                                   \
                target[j] = beta == 0 ? alpha * lanes[j] : alpha * lanes[j] + beta * target[j];  \
        }                                                                                        \
    }

__attribute__((target("avx512f,fma")))
void synapse_sgemm_6x32_avx512(long depth, const float *a, const float *b, long ldb, float *c, long ldc,
                               long rows, long columns, float alpha, float beta) {
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
    __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
    __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
    for (long p = 0; p < depth; p++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        __m512 x;
        x = _mm512_set1_ps(a[0]); c00 = _mm512_fmadd_ps(x, b0, c00); c01 = _mm512_fmadd_ps(x, b1, c01);
        x = _mm512_set1_ps(a[1]); c10 = _mm512_fmadd_ps(x, b0, c10); c11 = _mm512_fmadd_ps(x, b1, c11);
        x = _mm512_set1_ps(a[2]); c20 = _mm512_fmadd_ps(x, b0, c20); c21 = _mm512_fmadd_ps(x, b1, c21);
        x = _mm512_set1_ps(a[3]); c30 = _mm512_fmadd_ps(x, b0, c30); c31 = _mm512_fmadd_ps(x, b1, c31);
        x = _mm512_set1_ps(a[4]); c40 = _mm512_fmadd_ps(x, b0, c40); c41 = _mm512_fmadd_ps(x, b1, c41);
        x = _mm512_set1_ps(a[5]); c50 = _mm512_fmadd_ps(x, b0, c50); c51 = _mm512_fmadd_ps(x, b1, c51);
        a += 6;
        b += ldb;
    }
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 0, c00, c01)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 1, c10, c11)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 2, c20, c21)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 3, c30, c31)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 4, c40, c41)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 5, c50, c51)
}

__attribute__((target("avx2,fma")))
void synapse_sgemm_6x16_avx2(long depth, const float *a, const float *b, long ldb, float *c, long ldc,
                             long rows, long columns, float alpha, float beta) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (long p = 0; p < depth; p++) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        __m256 x;
        x = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
        x = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
        x = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
        a += 6;
        b += ldb;
    }
    STORE_ROW(__m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_mul_ps, 0, c00, c01)
    STORE_ROW(__m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_mul_ps, 1, c10, c11)
    STORE_ROW(__m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_mul_ps, 2, c20, c21)
    STORE_ROW(__m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_mul_ps, 3, c30, c31)
    STORE_ROW(__m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_mul_ps, 4, c40, c41)
    STORE_ROW(__m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_mul_ps, 5, c50, c51)
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
void synapse_sgemm_6x32_avx512(long depth, const float *a, const float *b, long ldb, float *c, long ldc,
                               long rows, long columns, float alpha, float beta) {}
void synapse_sgemm_6x16_avx2(long depth, const float *a, const float *b, long ldb, float *c, long ldc,
                             long rows, long columns, float alpha, float beta) {}

#endif

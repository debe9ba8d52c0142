// The single-precision matrix-product kernels: the register tiles of the packed GEMM (6×32 on
// AVX-512, 6×16 on AVX2), the packing of A and B into strips, and the thin products of batch-1
// inference (dot products of a row with many rows; C = A·Bᵀ for few rows).
#include "synapse_kernels.h"
#include "internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

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

/* The six rows of a tile of op(A): row r, depth p at rows[r][p * aDepth]. Rows past `rows` repeat the
 * last one (their sums are computed and dropped by STORE_ROW), so an edge tile needs no padding. */
#define A_ROWS(a, aRow, rows)                                                                        \
    const float *a0 = a, *a1 = a + ((rows) > 1 ? 1 : 0) * (aRow), *a2 = a + ((rows) > 2 ? 2 : (rows) - 1) * (aRow), \
                *a3 = a + ((rows) > 3 ? 3 : (rows) - 1) * (aRow), *a4 = a + ((rows) > 4 ? 4 : (rows) - 1) * (aRow), \
                *a5 = a + ((rows) > 5 ? 5 : (rows) - 1) * (aRow);

__attribute__((target("avx512f,fma")))
void synapse_sgemm_6x32_avx512(long depth, const float *a, long aRow, long aDepth, const float *b, long ldb, float *c, long ldc,
                               long rows, long columns, float alpha, float beta) {
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
    __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
    __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
    A_ROWS(a, aRow, rows)
    for (long p = 0, q = 0; p < depth; p++, q += aDepth) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        __m512 x;
        x = _mm512_set1_ps(a0[q]); c00 = _mm512_fmadd_ps(x, b0, c00); c01 = _mm512_fmadd_ps(x, b1, c01);
        x = _mm512_set1_ps(a1[q]); c10 = _mm512_fmadd_ps(x, b0, c10); c11 = _mm512_fmadd_ps(x, b1, c11);
        x = _mm512_set1_ps(a2[q]); c20 = _mm512_fmadd_ps(x, b0, c20); c21 = _mm512_fmadd_ps(x, b1, c21);
        x = _mm512_set1_ps(a3[q]); c30 = _mm512_fmadd_ps(x, b0, c30); c31 = _mm512_fmadd_ps(x, b1, c31);
        x = _mm512_set1_ps(a4[q]); c40 = _mm512_fmadd_ps(x, b0, c40); c41 = _mm512_fmadd_ps(x, b1, c41);
        x = _mm512_set1_ps(a5[q]); c50 = _mm512_fmadd_ps(x, b0, c50); c51 = _mm512_fmadd_ps(x, b1, c51);
        b += ldb;
    }
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 0, c00, c01)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 1, c10, c11)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 2, c20, c21)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 3, c30, c31)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 4, c40, c41)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 5, c50, c51)
}

/* Rows 6 and 7 of an 8-row tile (rows past `rows` repeat the last one, as in A_ROWS). */
#define A_ROWS_8(a, aRow, rows)                                                                      \
    A_ROWS(a, aRow, rows)                                                                            \
    const float *a6 = a + ((rows) > 6 ? 6 : (rows) - 1) * (aRow), *a7 = a + ((rows) > 7 ? 7 : (rows) - 1) * (aRow);

__attribute__((target("avx512f,fma")))
void synapse_sgemm_8x32_avx512(long depth, const float *a, long aRow, long aDepth, const float *b, long ldb, float *c, long ldc,
                               long rows, long columns, float alpha, float beta) {
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
    __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
    __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
    __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
    A_ROWS_8(a, aRow, rows)
    for (long p = 0, q = 0; p < depth; p++, q += aDepth) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        __m512 x;
        x = _mm512_set1_ps(a0[q]); c00 = _mm512_fmadd_ps(x, b0, c00); c01 = _mm512_fmadd_ps(x, b1, c01);
        x = _mm512_set1_ps(a1[q]); c10 = _mm512_fmadd_ps(x, b0, c10); c11 = _mm512_fmadd_ps(x, b1, c11);
        x = _mm512_set1_ps(a2[q]); c20 = _mm512_fmadd_ps(x, b0, c20); c21 = _mm512_fmadd_ps(x, b1, c21);
        x = _mm512_set1_ps(a3[q]); c30 = _mm512_fmadd_ps(x, b0, c30); c31 = _mm512_fmadd_ps(x, b1, c31);
        x = _mm512_set1_ps(a4[q]); c40 = _mm512_fmadd_ps(x, b0, c40); c41 = _mm512_fmadd_ps(x, b1, c41);
        x = _mm512_set1_ps(a5[q]); c50 = _mm512_fmadd_ps(x, b0, c50); c51 = _mm512_fmadd_ps(x, b1, c51);
        x = _mm512_set1_ps(a6[q]); c60 = _mm512_fmadd_ps(x, b0, c60); c61 = _mm512_fmadd_ps(x, b1, c61);
        x = _mm512_set1_ps(a7[q]); c70 = _mm512_fmadd_ps(x, b0, c70); c71 = _mm512_fmadd_ps(x, b1, c71);
        b += ldb;
    }
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 0, c00, c01)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 1, c10, c11)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 2, c20, c21)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 3, c30, c31)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 4, c40, c41)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 5, c50, c51)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 6, c60, c61)
    STORE_ROW(__m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps, 7, c70, c71)
}

__attribute__((target("avx2,fma")))
void synapse_sgemm_6x16_avx2(long depth, const float *a, long aRow, long aDepth, const float *b, long ldb, float *c, long ldc,
                             long rows, long columns, float alpha, float beta) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    A_ROWS(a, aRow, rows)
    for (long p = 0, q = 0; p < depth; p++, q += aDepth) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        __m256 x;
        x = _mm256_broadcast_ss(a0 + q); c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(a1 + q); c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(a2 + q); c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(a3 + q); c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
        x = _mm256_broadcast_ss(a4 + q); c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
        x = _mm256_broadcast_ss(a5 + q); c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
        b += ldb;
    }
    STORE_ROW(__m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_mul_ps, 0, c00, c01)
    STORE_ROW(__m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_mul_ps, 1, c10, c11)
    STORE_ROW(__m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_mul_ps, 2, c20, c21)
    STORE_ROW(__m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_mul_ps, 3, c30, c31)
    STORE_ROW(__m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_mul_ps, 4, c40, c41)
    STORE_ROW(__m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_mul_ps, 5, c50, c51)
}

#else

void synapse_sgemm_6x32_avx512(long depth, const float *a, long aRow, long aDepth, const float *b, long ldb, float *c, long ldc,
                               long rows, long columns, float alpha, float beta) {}
void synapse_sgemm_8x32_avx512(long depth, const float *a, long aRow, long aDepth, const float *b, long ldb, float *c, long ldc,
                               long rows, long columns, float alpha, float beta) {}
void synapse_sgemm_6x16_avx2(long depth, const float *a, long aRow, long aDepth, const float *b, long ldb, float *c, long ldc,
                             long rows, long columns, float alpha, float beta) {}

#endif

// Below: packing and the thin products. Exactly the written arithmetic unless a loop asks for
// reassociation: never contract a*b+c into a fused multiply-add.
#pragma clang fp contract(off)

CLONES
static void sdot_rows_portable(const float *x, const float *w, long k, long n, long ldw, float *out, int accumulate) {
    for (long j = 0; j < n; j++) {
        const float *row = w + j * ldw;
        float sum = 0;
        {
            // Vector lanes hold partial sums (a fixed order for a given instruction set).
#pragma clang fp reassociate(on) contract(fast)
            for (long p = 0; p < k; p++) sum += x[p] * row[p];
        }
        out[j] = accumulate ? sum + out[j] : sum;
    }
}

CLONES
void synapse_pack_a_f32(const float *a, long aRow, long aColumn, long rows, long depth, float *packed) {
    for (long i0 = 0; i0 < rows; i0 += 6) {
        long height = rows - i0 < 6 ? rows - i0 : 6;
        float *strip = packed + i0 * depth;
        if (aColumn == 1 && height == 6) {
            const float *r0 = a + i0 * aRow, *r1 = r0 + aRow, *r2 = r1 + aRow, *r3 = r2 + aRow, *r4 = r3 + aRow, *r5 = r4 + aRow;
            for (long p = 0; p < depth; p++) {
                float *d = strip + p * 6;
                d[0] = r0[p]; d[1] = r1[p]; d[2] = r2[p]; d[3] = r3[p]; d[4] = r4[p]; d[5] = r5[p];
            }
        } else if (aRow == 1 && height == 6) {
            for (long p = 0; p < depth; p++) {
                const float *s = a + i0 + p * aColumn;
                float *d = strip + p * 6;
                d[0] = s[0]; d[1] = s[1]; d[2] = s[2]; d[3] = s[3]; d[4] = s[4]; d[5] = s[5];
            }
        } else {
            for (long p = 0; p < depth; p++) {
                float *d = strip + p * 6;
                for (long i = 0; i < 6; i++) d[i] = i < height ? a[(i0 + i) * aRow + p * aColumn] : 0.0f;
            }
        }
    }
}

CLONES
void synapse_pack_b_f32(const float *b, long bRow, long bColumn, long depth, long n, long nr, float *packed) {
    for (long j0 = 0; j0 < n; j0 += nr) {
        long width = n - j0 < nr ? n - j0 : nr;
        float *strip = packed + j0 * depth;
        if (bColumn == 1) {
            for (long p = 0; p < depth; p++) {
                const float *s = b + p * bRow + j0;
                float *d = strip + p * nr;
                for (long j = 0; j < width; j++) d[j] = s[j];
                for (long j = width; j < nr; j++) d[j] = 0;
            }
        } else {
            // Bᵀ stored row-major: blocks of 16 p at a time keep both reads and writes in cache lines.
            for (long p0 = 0; p0 < depth; p0 += 16) {
                long pend = p0 + 16 < depth ? p0 + 16 : depth;
                for (long j = 0; j < nr; j++) {
                    if (j < width) {
                        const float *s = b + (j0 + j) * bColumn + p0 * bRow;
                        for (long p = p0; p < pend; p++, s += bRow) strip[p * nr + j] = *s;
                    } else {
                        for (long p = p0; p < pend; p++) strip[p * nr + j] = 0;
                    }
                }
            }
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>
// Four rows at a time share each load of x: four independent FMA chains instead of one.
__attribute__((target("avx512f,fma")))
static void sdot_rows_avx512(const float *x, const float *w, long k, long n, long ldw, float *out, int accumulate) {
    long full = k / 16 * 16;
    __mmask16 tail = (__mmask16)((1u << (k - full)) - 1);
    long j = 0;
    for (; j + 4 <= n; j += 4) {
        const float *r0 = w + j * ldw, *r1 = r0 + ldw, *r2 = r1 + ldw, *r3 = r2 + ldw;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        for (long p = 0; p < full; p += 16) {
            __m512 v = _mm512_loadu_ps(x + p);
            a0 = _mm512_fmadd_ps(v, _mm512_loadu_ps(r0 + p), a0);
            a1 = _mm512_fmadd_ps(v, _mm512_loadu_ps(r1 + p), a1);
            a2 = _mm512_fmadd_ps(v, _mm512_loadu_ps(r2 + p), a2);
            a3 = _mm512_fmadd_ps(v, _mm512_loadu_ps(r3 + p), a3);
        }
        if (tail) {
            __m512 v = _mm512_maskz_loadu_ps(tail, x + full);
            a0 = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(tail, r0 + full), a0);
            a1 = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(tail, r1 + full), a1);
            a2 = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(tail, r2 + full), a2);
            a3 = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(tail, r3 + full), a3);
        }
        float s0 = _mm512_reduce_add_ps(a0), s1 = _mm512_reduce_add_ps(a1), s2 = _mm512_reduce_add_ps(a2), s3 = _mm512_reduce_add_ps(a3);
        if (accumulate) { s0 += out[j]; s1 += out[j + 1]; s2 += out[j + 2]; s3 += out[j + 3]; }
        out[j] = s0; out[j + 1] = s1; out[j + 2] = s2; out[j + 3] = s3;
    }
    for (; j < n; j++) {
        const float *r = w + j * ldw;
        __m512 a = _mm512_setzero_ps();
        for (long p = 0; p < full; p += 16) a = _mm512_fmadd_ps(_mm512_loadu_ps(x + p), _mm512_loadu_ps(r + p), a);
        if (tail) a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, x + full), _mm512_maskz_loadu_ps(tail, r + full), a);
        float s = _mm512_reduce_add_ps(a);
        out[j] = accumulate ? s + out[j] : s;
    }
}
#endif

#if defined(__x86_64__)
// One tile of up to 4 rows of A by up to 4 rows of B; R and S are the tile's sizes (compile-time in each use).
#define NT_TILE(R, S)                                                                                     \
    do {                                                                                                  \
        __m512 acc[4][4];                                                                                 \
        for (int r = 0; r < R; r++) for (int s = 0; s < S; s++) acc[r][s] = _mm512_setzero_ps();          \
        long p = 0;                                                                                       \
        for (; p + 16 <= k; p += 16) {                                                                    \
            __m512 x[4], y[4];                                                                            \
            for (int r = 0; r < R; r++) x[r] = _mm512_loadu_ps(a + (i + r) * lda + p);                    \
            for (int s = 0; s < S; s++) y[s] = _mm512_loadu_ps(b + (j + s) * ldb + p);                    \
            for (int r = 0; r < R; r++) for (int s = 0; s < S; s++) acc[r][s] = _mm512_fmadd_ps(x[r], y[s], acc[r][s]); \
        }                                                                                                 \
        if (p < k) {                                                                                      \
            __mmask16 tail = (__mmask16)((1u << (k - p)) - 1);                                            \
            __m512 x[4], y[4];                                                                            \
            for (int r = 0; r < R; r++) x[r] = _mm512_maskz_loadu_ps(tail, a + (i + r) * lda + p);        \
            for (int s = 0; s < S; s++) y[s] = _mm512_maskz_loadu_ps(tail, b + (j + s) * ldb + p);        \
            for (int r = 0; r < R; r++) for (int s = 0; s < S; s++) acc[r][s] = _mm512_fmadd_ps(x[r], y[s], acc[r][s]); \
        }                                                                                                 \
        for (int r = 0; r < R; r++) for (int s = 0; s < S; s++) c[(i + r) * ldc + j + s] = _mm512_reduce_add_ps(acc[r][s]); \
    } while (0)

__attribute__((target("avx512f,fma")))
static void sgemm_nt_rows_avx512(const float *a, long lda, const float *b, long ldb, float *c, long ldc, long m, long n, long k) {
    long i = 0;
    for (; i + 4 <= m; i += 4) {
        long j = 0;
        for (; j + 4 <= n; j += 4) NT_TILE(4, 4);
        for (; j < n; j++) NT_TILE(4, 1);
    }
    for (; i < m; i++) {
        long j = 0;
        for (; j + 4 <= n; j += 4) NT_TILE(1, 4);
        for (; j < n; j++) NT_TILE(1, 1);
    }
}
#endif

CLONES
static void sgemm_nt_rows_portable(const float *a, long lda, const float *b, long ldb, float *c, long ldc, long m, long n, long k) {
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
            float sum = 0;
            {
#pragma clang fp reassociate(on) contract(fast)
                for (long p = 0; p < k; p++) sum += a[i * lda + p] * b[j * ldb + p];
            }
            c[i * ldc + j] = sum;
        }
    }
}

void synapse_sgemm_nt_rows(const float *a, long lda, const float *b, long ldb, float *c, long ldc, long m, long n, long k) {
#if defined(__x86_64__)
    int level = synapse_cached_cpu_level();
    if (level == 2) { sgemm_nt_rows_avx512(a, lda, b, ldb, c, ldc, m, n, k); return; }
#endif
    sgemm_nt_rows_portable(a, lda, b, ldb, c, ldc, m, n, k);
}

void synapse_sdot_rows(const float *x, const float *w, long k, long n, long ldw, float *out, int accumulate) {
#if defined(__x86_64__)
    int level = synapse_cached_cpu_level();
    if (level == 2) { sdot_rows_avx512(x, w, k, n, ldw, out, accumulate); return; }
#endif
    sdot_rows_portable(x, w, k, n, ldw, out, accumulate);
}

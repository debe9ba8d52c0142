#include "synapse_kernels.h"
#include <math.h>
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

// Exactly the scalar arithmetic: never contract a*b+c into a fused multiply-add.
#pragma clang fp contract(off)

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

CLONES
void synapse_map_f32(int op, const float *x, float *y, long n, float s) {
    switch (op) {
    case SYNAPSE_RELU: for (long i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0; break;
    case SYNAPSE_GREATER: for (long i = 0; i < n; i++) y[i] = x[i] > s ? 1.0f : 0.0f; break;
    case SYNAPSE_TIMES: for (long i = 0; i < n; i++) y[i] = x[i] * s; break;
    case SYNAPSE_PLUS: for (long i = 0; i < n; i++) y[i] = x[i] + s; break;
    case SYNAPSE_NEGATE: for (long i = 0; i < n; i++) y[i] = -x[i]; break;
    case SYNAPSE_SQUARE: for (long i = 0; i < n; i++) y[i] = x[i] * x[i]; break;
    case SYNAPSE_SUBTRACTED_FROM: for (long i = 0; i < n; i++) y[i] = s - x[i]; break;
    case SYNAPSE_LEAKY_RELU: for (long i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : s * x[i]; break;
    }
}

CLONES
void synapse_combine_f32(int op, const float *x, const float *y, float *z, long n) {
    switch (op) {
    case SYNAPSE_ADD: for (long i = 0; i < n; i++) z[i] = x[i] + y[i]; break;
    case SYNAPSE_SUBTRACT: for (long i = 0; i < n; i++) z[i] = x[i] - y[i]; break;
    case SYNAPSE_MULTIPLY: for (long i = 0; i < n; i++) z[i] = x[i] * y[i]; break;
    case SYNAPSE_DIVIDE: for (long i = 0; i < n; i++) z[i] = x[i] / y[i]; break;
    }
}

CLONES
void synapse_adam_f32(float *p, const float *g, float *m, float *v, long n,
                      int decoupled, float decay, float l2, float b1, float c1, float b2, float c2,
                      float step, float root, float eps) {
    for (long i = 0; i < n; i++) {
        float theta = p[i];
        if (decoupled) theta = theta * decay;
        float gi = g[i];
        if (l2 != 0) gi = gi + l2 * theta;
        float mi = b1 * m[i] + c1 * gi;
        float vi = b2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = theta - step * mi / (__builtin_elementwise_sqrt(vi) / root + eps);   // sqrt without errno, so it vectorizes
    }
}

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

/* The CPU level, asked once; relaxed atomics, as several pool threads may ask first at once
   (a plain static was a data race ThreadSanitizer reported, harmless but undefined). */
#if defined(__x86_64__)
static int cached_cpu_level(void) {
    static _Atomic int level = -1;
    int known = atomic_load_explicit(&level, memory_order_relaxed);
    if (known < 0) {
        known = synapse_cpu_level();
        atomic_store_explicit(&level, known, memory_order_relaxed);
    }
    return known;
}
#endif

void synapse_sgemm_nt_rows(const float *a, long lda, const float *b, long ldb, float *c, long ldc, long m, long n, long k) {
#if defined(__x86_64__)
    int level = cached_cpu_level();
    if (level == 2) { sgemm_nt_rows_avx512(a, lda, b, ldb, c, ldc, m, n, k); return; }
#endif
    sgemm_nt_rows_portable(a, lda, b, ldb, c, ldc, m, n, k);
}

void synapse_sdot_rows(const float *x, const float *w, long k, long n, long ldw, float *out, int accumulate) {
#if defined(__x86_64__)
    int level = cached_cpu_level();
    if (level == 2) { sdot_rows_avx512(x, w, k, n, ldw, out, accumulate); return; }
#endif
    sdot_rows_portable(x, w, k, n, ldw, out, accumulate);
}

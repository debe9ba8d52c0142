// The exponentials of fused attention's online softmax (Kernels/AttentionKernels.swift), written
// as plain loops the compiler vectorises, once per instruction set.
#include "synapse_attention.h"
#include "synapse_kernels.h"
#include <math.h>
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

// ---------------------------------------------------------------------------------------------
// Fused attention for one (batch, head) pair in single precision, forward and backward, calling
// the GEMM's register tiles directly (6 rows × 32 columns on AVX-512, 6 × 16 on AVX2). The same
// algorithm as the generic kernel (`Kernels/AttentionKernels.swift`, where the formulas are
// derived); here the causal mask is skipped at the granularity of the tile's 6-row blocks and
// strips of NR keys, instead of 64 × 64 tiles, and no per-tile call goes through the GEMM's
// dispatch. Products (each a loop of register tiles, beta = 1 accumulates):
//   forward   S = scale·Q Kᵀ,  P = exp(S − m'),  O = O·e^{m − m'} + P V,  at the end O /= ℓ, L = m + log ℓ
//   backward  P = exp(scale·Q Kᵀ − L),  dV += Pᵀ dO,  dP = dO Vᵀ,  dS = P ⊙ (dP − δ),
//             dQ += scale·dS K,  dK += scale·dSᵀ Q,   with δ = rowsum(dO ⊙ O)

typedef void (*tile_kernel)(long depth, const float *a, long aRow, long aDepth, const float *b, long ldb, float *c, long ldc,
                            long rows, long columns, float alpha, float beta);

enum { ATTENTION_QUERY_TILE = 64, ATTENTION_KEY_TILE = 64 };
/* Scalars between the workspace's buffers: buffers whose sizes are multiples of 4 KB would put
   P[a][j] and dS[a][j] 4 KB apart, and the CPU takes a store to one for a store to the other's
   address until proven otherwise (4K aliasing); 48 scalars (192 B) skew them. */
enum { SKEW = 48 };

static inline long round_up(long x, long to) { return (x + to - 1) / to * to; }

/* Query i sees the keys 0 ..< visible(i) (causal: i + Tk − Tq + 1, clamped to 0...Tk). */
static inline long visible_keys(const synapse_attention_shape *s, long i) {
    if (!s->causal) return s->keys;
    long v = i + s->keys - s->queries + 1;
    return v < 0 ? 0 : (v > s->keys ? s->keys : v);
}

static int tile_width(int kernel, tile_kernel *function) {
#if defined(__x86_64__)
    if (kernel == 2) { *function = synapse_sgemm_6x32_avx512; return 32; }
    if (kernel == 1) { *function = synapse_sgemm_6x16_avx2; return 16; }
#endif
    return 0;
}

/* Whether a pair's operands are copied into contiguous buffers: short sequences, whose rows in
   place are short pieces of long rows (a packed [B, T, 3C] projection) that fall in a few cache
   sets (row strides of 512 B or 1.5 KB alias every 4 KB) and evict one another while the tiles
   are computed. Long ones are read in place, so that memory stays a few tiles plus Kᵀ and Vᵀ. */
static inline int copies_operands(const synapse_attention_shape *s) {
    return (s->queries + s->keys) * (s->depth + s->value_depth) <= (1L << 15);
}

long synapse_attention_workspace_f32(const synapse_attention_shape *s, int kernel) {
    tile_kernel f;
    long nr = tile_width(kernel, &f);
    if (nr == 0 || s->depth % nr != 0 || s->value_depth % nr != 0 || s->depth <= 0 || s->value_depth <= 0) return -1;
    // Kᵀ, Vᵀ (rows padded to a whole strip), contiguous copies of Q, K, V, O or dO and of the three
    // gradients (short sequences), two score tiles, the tile's running statistics and δ.
    long keys = round_up(s->keys, nr), q = s->queries, k = s->keys, d = s->depth, dv = s->value_depth;
    long copies = copies_operands(s) ? 2 * q * d + 2 * k * d + 2 * q * dv + 2 * k * dv : 0;
    return (d + dv) * keys + copies + 2 * ATTENTION_QUERY_TILE * ATTENTION_KEY_TILE + 2 * ATTENTION_QUERY_TILE + q + 12 * SKEW;
}

/* dst (rows × columns, rows ldDst apart) = the rows of x, `stride` apart. */
static inline __attribute__((always_inline)) void copy_rows(const float *x, long rows, long columns, long stride, float *dst, long ldDst) {
    for (long r = 0; r < rows; r++) memcpy(dst + r * ldDst, x + r * stride, sizeof(float) * columns);
}

/* x[r·stride + c] += src[r·columns + c]. */
static inline __attribute__((always_inline)) void add_rows(float *x, long rows, long columns, long stride, const float *src) {
    for (long r = 0; r < rows; r++)
        for (long c = 0; c < columns; c++) x[r * stride + c] += src[r * columns + c];
}

/* out[c·ld + r] = x[r·stride + c]: the rows × columns matrix x turned, its rows padded with zeros to ld. */
static inline __attribute__((always_inline)) void transpose_padded(const float *x, long rows, long columns, long stride, float *out, long ld) {
    for (long c = 0; c < columns; c++) {
        float *target = out + c * ld;
        for (long r = 0; r < rows; r++) target[r] = x[r * stride + c];
        for (long r = rows; r < ld; r++) target[r] = 0;
    }
}

/* C (rows × width, ldc) = alpha · A·B + beta·C over strips of nr columns: A (rows ≤ 6) at a with
   strides (aRow, aDepth), B's rows ldb apart, `depth` deep. */
static inline void tile_product(tile_kernel f, long nr, long depth, const float *a, long aRow, long aDepth, const float *b, long ldb,
                                float *c, long ldc, long rows, long width, float alpha, float beta) {
    for (long j = 0; j < width; j += nr)
        f(depth, a, aRow, aDepth, b + j, ldb, c + j, ldc, rows, width - j < nr ? width - j : nr, alpha, beta);
}

/* The row operations, inlined into the pair kernels (compiled once per instruction set below). */
static inline __attribute__((always_inline)) float row_max(const float *x, long n) {
    float m = -__builtin_inff();
    for (long j = 0; j < n; j++) m = x[j] > m ? x[j] : m;
    return m;
}

/* x[j] = exp(x[j] − shift) for j < n, then zeros up to `end`; returns Σ (16 lane sums in order). */
static inline __attribute__((always_inline)) float exp_row_zeroed(float *x, long n, long end, float shift) {
#pragma clang fp contract(fast)
    float partial[16] = {0};
    long j = 0;
    for (; j + 16 <= n; j += 16)
        for (int lane = 0; lane < 16; lane++) {
            float e = synapse_exp_lane(x[j + lane] - shift);
            x[j + lane] = e;
            partial[lane] += e;
        }
    for (int lane = 0; j < n; j++, lane++) {
        float e = synapse_exp_lane(x[j] - shift);
        x[j] = e;
        partial[lane] += e;
    }
    for (; j < end; j++) x[j] = 0;
    float sum = 0;
    for (int lane = 0; lane < 16; lane++) sum += partial[lane];
    return sum;
}

static inline __attribute__((always_inline)) void scale_row(float *x, long n, float factor) {
    for (long j = 0; j < n; j++) x[j] *= factor;
}

/* ds[j] = p[j]·(ds[j] − delta) for j < n, zeros from n to end. */
static inline __attribute__((always_inline)) void softmax_backward_row(const float *p, float *ds, long n, long end, float delta) {
    for (long j = 0; j < n; j++) ds[j] = p[j] * (ds[j] - delta);
    for (long j = n; j < end; j++) ds[j] = 0;
}

static inline __attribute__((always_inline)) float dot16(const float *x, const float *y, long n) {
#pragma clang fp contract(fast)
    float partial[16] = {0};
    long j = 0;
    for (; j + 16 <= n; j += 16)
        for (int lane = 0; lane < 16; lane++) partial[lane] += x[j + lane] * y[j + lane];
    float sum = 0;
    for (int lane = 0; lane < 16; lane++) sum += partial[lane];
    for (; j < n; j++) sum += x[j] * y[j];
    return sum;
}

static inline __attribute__((always_inline)) int forward_body(const synapse_attention_shape *s, int kernel, const float *q, long ldq, const float *k, long ldk,
                                  const float *v, long ldv, float *o, long ldo, float *lse, float *work) {
    tile_kernel f;
    long nr = tile_width(kernel, &f);
    if (synapse_attention_workspace_f32(s, kernel) < 0) return 0;
    const long tq = s->queries, tk = s->keys, d = s->depth, dv = s->value_depth, ld = round_up(tk, nr);
    const long bq = ATTENTION_QUERY_TILE, bk = ATTENTION_KEY_TILE;
    float *kT = work, *qc = kT + d * ld + SKEW, *kc = qc + tq * d + SKEW, *vc = kc + tk * d + SKEW, *oc = vc + tk * dv + SKEW;
    float *scores = oc + tq * dv + SKEW, *runMax = scores + bq * bk + SKEW, *runSum = runMax + bq;
    const float scale = s->scale;
    float *out = o;
    const long ldOut = ldo;
    const int copies = copies_operands(s);
    if (copies) {
        // The pair's Q, V and O contiguous (Kᵀ from a contiguous K).
        copy_rows(q, tq, d, ldq, qc, d);
        copy_rows(k, tk, d, ldk, kc, d);
        copy_rows(v, tk, dv, ldv, vc, dv);
        transpose_padded(kc, tk, d, d, kT, ld);
        q = qc; ldq = d; v = vc; ldv = dv; o = oc; ldo = dv;
    } else {
        transpose_padded(k, tk, d, ldk, kT, ld);
        scores = kT + d * ld + SKEW; runMax = scores + bq * bk + SKEW; runSum = runMax + bq;
    }
    for (long i0 = 0; i0 < tq; i0 += bq) {
        long rows = tq - i0 < bq ? tq - i0 : bq;
        for (long a = 0; a < rows; a++) {
            runMax[a] = -__builtin_inff();
            runSum[a] = 0;
            memset(o + (i0 + a) * ldo, 0, sizeof(float) * dv);
        }
        long keyEnd = visible_keys(s, i0 + rows - 1);
        for (long j0 = 0; j0 < keyEnd; j0 += bk) {
            long columns = keyEnd - j0 < bk ? keyEnd - j0 : bk;
            for (long r0 = 0; r0 < rows; r0 += 6) {
                long height = rows - r0 < 6 ? rows - r0 : 6;
                // The keys of this tile any row of the block sees; the block's products stop there.
                long end = visible_keys(s, i0 + r0 + height - 1) - j0;
                end = end > columns ? columns : end;
                if (end <= 0) continue;
                // S = scale · Q Kᵀ
                tile_product(f, nr, d, q + (i0 + r0) * ldq, ldq, 1, kT + j0, ld, scores + r0 * bk, bk, height, end, scale, 0);
                for (long a = r0; a < r0 + height; a++) {
                    float *row = scores + a * bk;
                    long seen = visible_keys(s, i0 + a) - j0;
                    seen = seen < 0 ? 0 : (seen > end ? end : seen);
                    if (seen == 0) { memset(row, 0, sizeof(float) * end); continue; }
                    // m' = max(m, rowmax S);  P = exp(S − m');  ℓ = ℓ·e^{m − m'} + ΣP;  O = O·e^{m − m'}
                    float tileMax = row_max(row, seen);
                    float newMax = runMax[a] > tileMax ? runMax[a] : tileMax;
                    float correction = synapse_exp_lane(runMax[a] - newMax);
                    float sum = exp_row_zeroed(row, seen, end, newMax);
                    runSum[a] = runSum[a] * correction + sum;
                    runMax[a] = newMax;
                    if (correction != 1.0f) scale_row(o + (i0 + a) * ldo, dv, correction);
                }
                // O += P Vⱼ
                tile_product(f, nr, end, scores + r0 * bk, bk, 1, v + j0 * ldv, ldv, o + (i0 + r0) * ldo, ldo, height, dv, 1, 1);
            }
        }
        // O /= ℓ;  L = m + log ℓ  (a row that saw nothing: O = 0, L = +∞ so that P = 0 in backward)
        for (long a = 0; a < rows; a++) {
            float sum = runSum[a];
            if (!(sum > 0)) { lse[i0 + a] = __builtin_inff(); continue; }
            scale_row(o + (i0 + a) * ldo, dv, 1.0f / sum);
            lse[i0 + a] = runMax[a] + logf(sum);
        }
    }
    if (copies) copy_rows(oc, tq, dv, dv, out, ldOut);
    return 1;
}

static inline __attribute__((always_inline)) int backward_body(const synapse_attention_shape *s, int kernel, const float *q, long ldq, const float *k, long ldk,
                                   const float *v, long ldv, const float *o, long ldo, const float *dout, long lddo, const float *lse,
                                   float *dq, long lddq, float *dk, long lddk, float *dvOut, long lddv, int accumulate, float *work) {
    tile_kernel f;
    long nr = tile_width(kernel, &f);
    if (synapse_attention_workspace_f32(s, kernel) < 0) return 0;
    const long tq = s->queries, tk = s->keys, d = s->depth, dv = s->value_depth, ld = round_up(tk, nr);
    const long bq = ATTENTION_QUERY_TILE, bk = ATTENTION_KEY_TILE;
    float *kT = work, *vT = kT + d * ld + SKEW, *qc = vT + dv * ld + SKEW, *kc = qc + tq * d + SKEW, *doc = kc + tk * d + SKEW;
    float *dqc = doc + tq * dv + SKEW, *dkc = dqc + tq * d + SKEW, *dvc = dkc + tk * d + SKEW;
    float *p = dvc + tk * dv + SKEW, *ds = p + bq * bk + SKEW, *delta = ds + bq * bk + SKEW;
    const float scale = s->scale;
    const int scores = dq != 0 || dk != 0;
    if (!scores && dvOut == 0) return 1;
    float *dqOut = dq, *dkOut = dk, *dvOut2 = dvOut;
    const long lddqOut = lddq, lddkOut = lddk, lddvOut = lddv;
    const int copies = copies_operands(s);
    if (copies) {
        // The pair's operands contiguous, Kᵀ and Vᵀ (V goes through dV's buffer), gradients from zero.
        copy_rows(q, tq, d, ldq, qc, d);
        copy_rows(k, tk, d, ldk, kc, d);
        copy_rows(dout, tq, dv, lddo, doc, dv);
        copy_rows(v, tk, dv, ldv, dvc, dv);
        transpose_padded(kc, tk, d, d, kT, ld);
        transpose_padded(dvc, tk, dv, dv, vT, ld);
        memset(dqc, 0, sizeof(float) * tq * d);
        memset(dkc, 0, sizeof(float) * tk * d);
        memset(dvc, 0, sizeof(float) * tk * dv);
        q = qc; ldq = d; k = kc; ldk = d; dout = doc; lddo = dv;
        if (dq) { dq = dqc; lddq = d; }
        if (dk) { dk = dkc; lddk = d; }
        if (dvOut) { dvOut = dvc; lddv = dv; }
    } else {
        transpose_padded(k, tk, d, ldk, kT, ld);
        transpose_padded(v, tk, dv, ldv, vT, ld);
        p = vT + dv * ld + SKEW; ds = p + bq * bk + SKEW; delta = ds + bq * bk + SKEW;
        if (!accumulate) {
            for (long i = 0; dq && i < tq; i++) memset(dq + i * lddq, 0, sizeof(float) * d);
            for (long j = 0; dk && j < tk; j++) memset(dk + j * lddk, 0, sizeof(float) * d);
            for (long j = 0; dvOut && j < tk; j++) memset(dvOut + j * lddv, 0, sizeof(float) * dv);
        }
    }
    // δᵢ = Σ_c dOᵢ꜀ Oᵢ꜀  (= rowsum(P ⊙ dP), the softmax backward's subtracted term)
    for (long i = 0; i < tq; i++) delta[i] = dot16(o + i * ldo, dout + i * lddo, dv);
    for (long j0 = 0; j0 < tk; j0 += bk) {
        long columns = tk - j0 < bk ? tk - j0 : bk;
        // Queries that may see key j0 (causal: i + Tk − Tq ≥ j0).
        long first = s->causal ? j0 - (tk - tq) : 0;
        first = first < 0 ? 0 : first;
        for (long i0 = first; i0 < tq; i0 += bq) {
            long rows = tq - i0 < bq ? tq - i0 : bq;
            for (long r0 = 0; r0 < rows; r0 += 6) {
                long height = rows - r0 < 6 ? rows - r0 : 6;
                long end = visible_keys(s, i0 + r0 + height - 1) - j0;
                end = end > columns ? columns : (end < 0 ? 0 : end);
                if (end == 0) {
                    for (long a = r0; a < r0 + height; a++) {
                        memset(p + a * bk, 0, sizeof(float) * columns);
                        memset(ds + a * bk, 0, sizeof(float) * columns);
                    }
                    continue;
                }
                // P = exp(scale · Qᵢ Kⱼᵀ − L)
                tile_product(f, nr, d, q + (i0 + r0) * ldq, ldq, 1, kT + j0, ld, p + r0 * bk, bk, height, end, scale, 0);
                for (long a = r0; a < r0 + height; a++) {
                    long seen = visible_keys(s, i0 + a) - j0;
                    seen = seen < 0 ? 0 : (seen > end ? end : seen);
                    exp_row_zeroed(p + a * bk, seen, columns, lse[i0 + a]);
                }
                if (!scores) continue;
                // dP = dOᵢ Vⱼᵀ;  dS = P ⊙ (dP − δ)
                tile_product(f, nr, dv, dout + (i0 + r0) * lddo, lddo, 1, vT + j0, ld, ds + r0 * bk, bk, height, end, 1, 0);
                for (long a = r0; a < r0 + height; a++) softmax_backward_row(p + a * bk, ds + a * bk, end, columns, delta[i0 + a]);
                // dQᵢ += scale · dS Kⱼ
                if (dq) tile_product(f, nr, end, ds + r0 * bk, bk, 1, k + j0 * ldk, ldk, dq + (i0 + r0) * lddq, lddq, height, d, scale, 1);
            }
            // dVⱼ += Pᵀ dOᵢ and dKⱼ += scale · dSᵀ Qᵢ, six keys at a time, over the queries that see them.
            for (long c0 = 0; c0 < columns; c0 += 6) {
                long height = columns - c0 < 6 ? columns - c0 : 6;
                long start = s->causal ? j0 + c0 - (tk - tq) - i0 : 0;
                start = start < 0 ? 0 : start;
                if (start >= rows) break;
                if (dvOut) tile_product(f, nr, rows - start, p + start * bk + c0, 1, bk, dout + (i0 + start) * lddo, lddo,
                                        dvOut + (j0 + c0) * lddv, lddv, height, dv, 1, 1);
                if (dk) tile_product(f, nr, rows - start, ds + start * bk + c0, 1, bk, q + (i0 + start) * ldq, ldq,
                                     dk + (j0 + c0) * lddk, lddk, height, d, scale, 1);
            }
        }
    }
    if (!copies) return 1;
    if (accumulate) {
        if (dqOut) add_rows(dqOut, tq, d, lddqOut, dqc);
        if (dkOut) add_rows(dkOut, tk, d, lddkOut, dkc);
        if (dvOut2) add_rows(dvOut2, tk, dv, lddvOut, dvc);
    } else {
        if (dqOut) copy_rows(dqc, tq, d, d, dqOut, lddqOut);
        if (dkOut) copy_rows(dkc, tk, d, d, dkOut, lddkOut);
        if (dvOut2) copy_rows(dvc, tk, dv, dv, dvOut2, lddvOut);
    }
    return 1;
}

#define FORWARD_ARGS s, kernel, q, ldq, k, ldk, v, ldv, o, ldo, lse, work
#define BACKWARD_ARGS s, kernel, q, ldq, k, ldk, v, ldv, o, ldo, dout, lddo, lse, dq, lddq, dk, lddk, dv, lddv, accumulate, work
#define FORWARD_PARAMETERS (const synapse_attention_shape *s, int kernel, const float *q, long ldq, const float *k, long ldk, \
                            const float *v, long ldv, float *o, long ldo, float *lse, float *work)
#define BACKWARD_PARAMETERS (const synapse_attention_shape *s, int kernel, const float *q, long ldq, const float *k, long ldk, \
                             const float *v, long ldv, const float *o, long ldo, const float *dout, long lddo, const float *lse, \
                             float *dq, long lddq, float *dk, long lddk, float *dv, long lddv, int accumulate, float *work)

#if defined(__x86_64__)
__attribute__((target("avx512f,fma"))) static int forward_avx512 FORWARD_PARAMETERS { return forward_body(FORWARD_ARGS); }
__attribute__((target("avx512f,fma"))) static int backward_avx512 BACKWARD_PARAMETERS { return backward_body(BACKWARD_ARGS); }
__attribute__((target("avx2,fma"))) static int forward_avx2 FORWARD_PARAMETERS { return forward_body(FORWARD_ARGS); }
__attribute__((target("avx2,fma"))) static int backward_avx2 BACKWARD_PARAMETERS { return backward_body(BACKWARD_ARGS); }
#endif

int synapse_attention_forward_f32 FORWARD_PARAMETERS {
#if defined(__x86_64__)
    if (kernel == 2) return forward_avx512(FORWARD_ARGS);
    if (kernel == 1) return forward_avx2(FORWARD_ARGS);
#endif
    return 0;
}

int synapse_attention_backward_f32 BACKWARD_PARAMETERS {
#if defined(__x86_64__)
    if (kernel == 2) return backward_avx512(BACKWARD_ARGS);
    if (kernel == 1) return backward_avx2(BACKWARD_ARGS);
#endif
    return 0;
}

// The exact GELU and layer normalisation in single precision, forward and backward side by side,
// written as plain loops the compiler vectorises, once per instruction set (AVX-512, AVX2 + FMA,
// baseline), chosen at run time from the CPU level (or forced by the caller, for tests).
#include "synapse_kernels.h"
#include "internal.h"
#include <math.h>

#pragma clang fp contract(fast)

// ---------------------------------------------------------------------------------------------
// Φ(x), the standard normal CDF, and e^{−x²/2}, for one lane. With z = |x|/√2:
//   z < 1:  erf(z) = z·P(z²)                        Φ = ½ ± ½·erf(z)
//   z ≥ 1:  erfc(z) = e^{−z²}/z · R(1/z)            Φ = ½·erfc(z) for x < 0, 1 − ½·erfc(z) for x ≥ 0
// P (degree 6 in z²) and R (degree 7 on 1 ≤ z < 2, degree 8 on z ≥ 2) are least-squares fits on
// Chebyshev nodes (relative error of the fits below 2e-8); in float arithmetic Φ is within 1e-7 of
// the true value everywhere (checked against mpmath on a dense grid of [−15, 15]). The tail of a
// negative x is computed directly, not as 1 − something, so it keeps its relative accuracy.
static inline __attribute__((always_inline)) float normal_cdf_lane(float x, float *gauss) {
    float z = fabsf(x) * 0.70710678118654752f;
    float t = z * z;
    float p = 7.898210208e-05f;
    p = p * t + -8.024354129e-04f;
    p = p * t + 5.190053578e-03f;
    p = p * t + -2.685480854e-02f;
    p = p * t + 1.128361243e-01f;
    p = p * t + -3.761262884e-01f;
    p = p * t + 1.128379167e+00f;
    float half_erf = 0.5f * z * p;

    float zc = z < 1.0f ? 1.0f : z;
    float u = 1.0f / zc;
    float r1 = -2.021893900e-03f;
    r1 = r1 * u + -5.930543014e-03f;
    r1 = r1 * u + 8.839236799e-02f;
    r1 = r1 * u + -3.021075031e-01f;
    r1 = r1 * u + 5.218359478e-01f;
    r1 = r1 * u + -4.698518575e-01f;
    r1 = r1 * u + 3.602863282e-02f;
    r1 = r1 * u + 5.612384236e-01f;
    float r2 = -3.204471386e-01f;
    r2 = r2 * u + 5.818962625e-01f;
    r2 = r2 * u + -6.705802377e-02f;
    r2 = r2 * u + -6.553957675e-01f;
    r2 = r2 * u + 6.237666323e-01f;
    r2 = r2 * u + -3.571458071e-02f;
    r2 = r2 * u + -2.783227686e-01f;
    r2 = r2 * u + -2.188204878e-04f;
    r2 = r2 * u + 5.641949424e-01f;
    float r = zc < 2.0f ? r1 : r2;
    float e = synapse_exp_lane(-0.5f * (x * x));          // e^{−x²/2} = e^{−z²}
    float half_erfc = 0.5f * e * u * r;
    *gauss = e;
    float small = x < 0 ? 0.5f - half_erf : 0.5f + half_erf;
    float large = x < 0 ? half_erfc : 1.0f - half_erfc;
    return z < 1.0f ? small : large;
}

// forward   y = x·Φ(x)
// backward  dx = g·(Φ(x) + x·φ(x)),  φ(x) = e^{−x²/2}/√(2π), the derivative made by the training
//           forward below and multiplied by g in Autograd/Activations.swift
#define GELU_FORWARD_BODY                                                      \
    for (long i = 0; i < n; i++) {                                             \
        float e;                                                               \
        y[i] = x[i] * normal_cdf_lane(x[i], &e);                               \
    }

// the training forward: y and dy/dx = Φ(x) + x·φ(x) in one pass
#define GELU_FORWARD_DERIVATIVE_BODY                                           \
    for (long i = 0; i < n; i++) {                                             \
        float e;                                                               \
        float cdf = normal_cdf_lane(x[i], &e);                                 \
        y[i] = x[i] * cdf;                                                     \
        dydx[i] = cdf + x[i] * (e * 0.39894228040143268f);                     \
    }

// ---------------------------------------------------------------------------------------------
// Layer normalisation of rows of n values. Sums use 16 partial sums (lane j takes elements
// j, j+16, …) combined in a fixed order, the same on every instruction set.
//   forward   μ = Σx/n,  σ² = Σ(x−μ)²/n,  r = 1/√(σ²+ε),  y = (x−μ)·r·γ + β
//   backward  x̂ = (x−μ)·r,  ĝ = γ·g:  dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)),  dγ += g·x̂,  dβ += g
#define SUM16(EXPR, RESULT)                                                    \
    do {                                                                       \
        float partial[16] = {0};                                               \
        long j = 0;                                                            \
        for (; j + 16 <= n; j += 16)                                           \
            for (int lane = 0; lane < 16; lane++) { long i = j + lane; partial[lane] += (EXPR); } \
        for (int lane = 0; j < n; j++, lane++) { long i = j; partial[lane] += (EXPR); } \
        float total = 0;                                                       \
        for (int lane = 0; lane < 16; lane++) total += partial[lane];          \
        RESULT = total;                                                        \
    } while (0)

#define LAYER_NORM_FORWARD_BODY                                                \
    for (long row = 0; row < rows; row++) {                                    \
        const float *xr = x + row * n;                                         \
        float *yr = y + row * n;                                               \
        float sum, squares;                                                    \
        SUM16(xr[i], sum);                                                     \
        float mu = sum / (float)n;                                             \
        SUM16((xr[i] - mu) * (xr[i] - mu), squares);                           \
        float inverse = 1.0f / sqrtf(squares / (float)n + eps);                \
        mean[row] = mu;                                                        \
        rstd[row] = inverse;                                                   \
        if (w && b) { for (long i = 0; i < n; i++) yr[i] = (xr[i] - mu) * inverse * w[i] + b[i]; } \
        else if (w) { for (long i = 0; i < n; i++) yr[i] = (xr[i] - mu) * inverse * w[i]; } \
        else if (b) { for (long i = 0; i < n; i++) yr[i] = (xr[i] - mu) * inverse + b[i]; } \
        else { for (long i = 0; i < n; i++) yr[i] = (xr[i] - mu) * inverse; } \
    }

#define LAYER_NORM_BACKWARD_BODY                                               \
    for (long row = 0; row < rows; row++) {                                    \
        const float *xr = x + row * n, *gr = g + row * n;                      \
        float mu = mean[row], inverse = rstd[row];                             \
        if (dw) for (long i = 0; i < n; i++) dw[i] += gr[i] * ((xr[i] - mu) * inverse); \
        if (db) for (long i = 0; i < n; i++) db[i] += gr[i];                   \
        if (!dx) continue;                                                     \
        float sumG, sumGX;                                                     \
        if (w) {                                                               \
            SUM16(gr[i] * w[i], sumG);                                         \
            SUM16(gr[i] * w[i] * ((xr[i] - mu) * inverse), sumGX);             \
        } else {                                                               \
            SUM16(gr[i], sumG);                                                \
            SUM16(gr[i] * ((xr[i] - mu) * inverse), sumGX);                    \
        }                                                                      \
        float meanG = sumG / (float)n, meanGX = sumGX / (float)n;              \
        float *dr = dx + row * n;                                              \
        if (w) { for (long i = 0; i < n; i++) dr[i] = inverse * (gr[i] * w[i] - meanG - ((xr[i] - mu) * inverse) * meanGX); } \
        else { for (long i = 0; i < n; i++) dr[i] = inverse * (gr[i] - meanG - ((xr[i] - mu) * inverse) * meanGX); } \
    }

#define GELU_SIGNATURE_F (const float *x, float *y, long n)
#define GELU_SIGNATURE_D (const float *x, float *y, float *dydx, long n)
#define LN_SIGNATURE_F (const float *x, const float *w, const float *b, float *y, float *mean, float *rstd, long rows, long n, float eps)
#define LN_SIGNATURE_B (const float *x, const float *w, const float *g, const float *mean, const float *rstd, float *dx, float *dw, float *db, long rows, long n)

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))) static void gelu_forward_avx512 GELU_SIGNATURE_F { GELU_FORWARD_BODY }
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))) static void gelu_derivative_avx512 GELU_SIGNATURE_D { GELU_FORWARD_DERIVATIVE_BODY }
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))) static void layer_norm_forward_avx512 LN_SIGNATURE_F { LAYER_NORM_FORWARD_BODY }
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))) static void layer_norm_backward_avx512 LN_SIGNATURE_B { LAYER_NORM_BACKWARD_BODY }
__attribute__((target("avx2,fma"))) static void gelu_forward_avx2 GELU_SIGNATURE_F { GELU_FORWARD_BODY }
__attribute__((target("avx2,fma"))) static void gelu_derivative_avx2 GELU_SIGNATURE_D { GELU_FORWARD_DERIVATIVE_BODY }
__attribute__((target("avx2,fma"))) static void layer_norm_forward_avx2 LN_SIGNATURE_F { LAYER_NORM_FORWARD_BODY }
__attribute__((target("avx2,fma"))) static void layer_norm_backward_avx2 LN_SIGNATURE_B { LAYER_NORM_BACKWARD_BODY }
#endif
static void gelu_forward_portable GELU_SIGNATURE_F { GELU_FORWARD_BODY }
static void gelu_derivative_portable GELU_SIGNATURE_D { GELU_FORWARD_DERIVATIVE_BODY }
static void layer_norm_forward_portable LN_SIGNATURE_F { LAYER_NORM_FORWARD_BODY }
static void layer_norm_backward_portable LN_SIGNATURE_B { LAYER_NORM_BACKWARD_BODY }

/// The level to run: the CPU's, or `requested` (≥ 0) when the CPU has it.
static int effective_level(int requested) {
    int cpu = synapse_cached_cpu_level();
    return requested >= 0 && requested < cpu ? requested : cpu;
}

void synapse_gelu_forward_f32(const float *x, float *y, long n, int level) {
#if defined(__x86_64__)
    switch (effective_level(level)) {
    case 2: gelu_forward_avx512(x, y, n); return;
    case 1: gelu_forward_avx2(x, y, n); return;
    }
#endif
    gelu_forward_portable(x, y, n);
}

void synapse_gelu_forward_derivative_f32(const float *x, float *y, float *dydx, long n, int level) {
#if defined(__x86_64__)
    switch (effective_level(level)) {
    case 2: gelu_derivative_avx512(x, y, dydx, n); return;
    case 1: gelu_derivative_avx2(x, y, dydx, n); return;
    }
#endif
    gelu_derivative_portable(x, y, dydx, n);
}

void synapse_layer_norm_forward_f32(const float *x, const float *w, const float *b, float *y, float *mean, float *rstd,
                                    long rows, long n, float eps, int level) {
#if defined(__x86_64__)
    switch (effective_level(level)) {
    case 2: layer_norm_forward_avx512(x, w, b, y, mean, rstd, rows, n, eps); return;
    case 1: layer_norm_forward_avx2(x, w, b, y, mean, rstd, rows, n, eps); return;
    }
#endif
    layer_norm_forward_portable(x, w, b, y, mean, rstd, rows, n, eps);
}

void synapse_layer_norm_backward_f32(const float *x, const float *w, const float *g, const float *mean, const float *rstd,
                                     float *dx, float *dw, float *db, long rows, long n, int level) {
#if defined(__x86_64__)
    switch (effective_level(level)) {
    case 2: layer_norm_backward_avx512(x, w, g, mean, rstd, dx, dw, db, rows, n); return;
    case 1: layer_norm_backward_avx2(x, w, g, mean, rstd, dx, dw, db, rows, n); return;
    }
#endif
    layer_norm_backward_portable(x, w, g, mean, rstd, dx, dw, db, rows, n);
}

// ---------------------------------------------------------------------------------------------
// The LSTM cell (Autograd/Recurrent.swift), forward and backward side by side, for one row and the
// units u0..<u1. σ(v) = 1/(1 + e^{−v}); tanh(v) is Cephes's odd polynomial below |v| = 0.625 and
// 1 − 2/(e^{2v} + 1) above (the Swift SIMD16 versions this replaces, on the widest vectors).
//   forward   i = σ(aᵢ), f = σ(a_f), g = tanh(a_g), o = σ(a_o);  c = f·c₋₁ + i·g;  h = o·tanh(c)
//   backward  dc += dh·o·(1 − tanh²c);  dc₋₁ = dc·f;  dAᵢ = dc·g·i(1−i);  dA_f = dc·c₋₁·f(1−f);
//             dA_g = dc·i·(1 − g²);  dA_o = dh·tanh(c)·o(1−o)      (dh = output gradient + recurrent)
//             db += dA  (a per-sequence sum over steps; Σ over sequences is ∂L/∂b_ih = ∂L/∂b_hh)
static inline __attribute__((always_inline)) float sigmoid_lane(float v) { return 1.0f / (1.0f + synapse_exp_lane(-v)); }

static inline __attribute__((always_inline)) float tanh_lane(float v) {
    float z = v * v;
    float p = z * -5.70498872e-3f + 2.06390888e-2f;
    p = p * z - 5.37397156e-2f;
    p = p * z + 1.33314422e-1f;
    p = p * z - 3.33332819e-1f;
    float small = p * z * v + v;
    float large = 1.0f - 2.0f / (synapse_exp_lane(v + v) + 1.0f);
    return z < 0.390625f ? small : large;
}

#define LSTM_FORWARD_BODY                                                      \
    for (long u = u0; u < u1; u++) {                                           \
        float i = sigmoid_lane(a[u]), f = sigmoid_lane(a[H + u]);              \
        float g = tanh_lane(a[2 * H + u]), o = sigmoid_lane(a[3 * H + u]);     \
        float cn = f * cPrev[u] + i * g;                                       \
        float th = tanh_lane(cn);                                              \
        a[u] = i; a[H + u] = f; a[2 * H + u] = g; a[3 * H + u] = o;            \
        c[u] = cn; tanhC[u] = th; h[u] = o * th;                               \
    }

#define LSTM_BACKWARD_BODY                                                     \
    for (long u = u0; u < u1; u++) {                                           \
        float i = a[u], f = a[H + u], g = a[2 * H + u], o = a[3 * H + u];      \
        float dhu = gOut[u] + dh[u], th = tanhC[u];                            \
        float dcu = dc[u] + dhu * o * (1.0f - th * th);                        \
        dc[u] = dcu * f;                                                       \
        dA[u] = dcu * g * i * (1.0f - i);                                      \
        dA[H + u] = dcu * cPrev[u] * f * (1.0f - f);                           \
        dA[2 * H + u] = dcu * i * (1.0f - g * g);                              \
        dA[3 * H + u] = dhu * th * o * (1.0f - o);                             \
    }                                                                          \
    if (db)                                                                    \
        for (long k = 0; k < 4; k++)                                           \
            for (long u = u0; u < u1; u++) db[k * H + u] += dA[k * H + u];

#define LSTM_SIGNATURE_F (float *restrict a, long H, const float *restrict cPrev, float *restrict c, float *restrict tanhC, float *restrict h, long u0, long u1)
#define LSTM_SIGNATURE_B (const float *restrict a, long H, const float *restrict cPrev, const float *restrict tanhC, const float *restrict gOut, \
                          const float *restrict dh, float *restrict dc, float *restrict dA, float *restrict db, long u0, long u1)
#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))) static void lstm_forward_avx512 LSTM_SIGNATURE_F { LSTM_FORWARD_BODY }
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))) static void lstm_backward_avx512 LSTM_SIGNATURE_B { LSTM_BACKWARD_BODY }
__attribute__((target("avx2,fma"))) static void lstm_forward_avx2 LSTM_SIGNATURE_F { LSTM_FORWARD_BODY }
__attribute__((target("avx2,fma"))) static void lstm_backward_avx2 LSTM_SIGNATURE_B { LSTM_BACKWARD_BODY }
#endif
static void lstm_forward_portable LSTM_SIGNATURE_F { LSTM_FORWARD_BODY }
static void lstm_backward_portable LSTM_SIGNATURE_B { LSTM_BACKWARD_BODY }

void synapse_lstm_cell_forward_f32(float *a, long H, const float *cPrev, float *c, float *tanhC, float *h, long u0, long u1, int level) {
#if defined(__x86_64__)
    switch (effective_level(level)) {
    case 2: lstm_forward_avx512(a, H, cPrev, c, tanhC, h, u0, u1); return;
    case 1: lstm_forward_avx2(a, H, cPrev, c, tanhC, h, u0, u1); return;
    }
#endif
    lstm_forward_portable(a, H, cPrev, c, tanhC, h, u0, u1);
}

void synapse_lstm_cell_backward_f32(const float *a, long H, const float *cPrev, const float *tanhC, const float *gOut, const float *dh,
                                    float *dc, float *dA, float *db, long u0, long u1, int level) {
#if defined(__x86_64__)
    switch (effective_level(level)) {
    case 2: lstm_backward_avx512(a, H, cPrev, tanhC, gOut, dh, dc, dA, db, u0, u1); return;
    case 1: lstm_backward_avx2(a, H, cPrev, tanhC, gOut, dh, dc, dA, db, u0, u1); return;
    }
#endif
    lstm_backward_portable(a, H, cPrev, tanhC, gOut, dh, dc, dA, db, u0, u1);
}

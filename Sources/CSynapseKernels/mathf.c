// e^x, ln x, tanh x and the logistic sigmoid in single precision over the whole float range, as
// branch-free lanes the compiler vectorises, once per instruction set (AVX-512, AVX2 + FMA,
// baseline), chosen at run time from the CPU level (or forced by the caller, for tests). Each is
// within 2 ulp of the exact value everywhere (MathKernelTests sweeps the float bit patterns against
// the C library's double-precision functions), with IEEE special values: e^−∞ = 0, e^+∞ = +∞,
// ln 0 = −∞, ln x = NaN for x < 0, subnormal inputs and results handled, NaN in → NaN out.
#include "synapse_kernels.h"
#include "internal.h"
#include <math.h>

// No contraction of a*b + c into fused multiply-adds: the compiler fuses at -O2 only where the
// target has FMA, so contracted lanes would give different bits per instruction set and between
// release and debug (sanitizer) builds. Uncontracted, every level and every build gives the same
// bits (the two fmaf calls of the sigmoid are exact wherever they run), within the same ulp bounds.
#pragma clang fp contract(off)

static inline __attribute__((always_inline)) float bits_to_float(int32_t bits) { float f; memcpy(&f, &bits, sizeof f); return f; }
static inline __attribute__((always_inline)) int32_t float_to_bits(float f) { int32_t b; memcpy(&b, &f, sizeof b); return b; }

// e^x = 2ⁿ·e^r, x = n·ln 2 + r (Cody–Waite, ln 2 in two parts), |r| ≤ ln 2 / 2, Cephes's expf
// polynomial for e^r. 2ⁿ is applied as 2^⌊n/2⌋ · 2^(n−⌊n/2⌋), both normal numbers for every n in
// [−150, 129], so overflow gives +∞ and tiny results round once into the subnormals.
static inline __attribute__((always_inline)) float exp_lane(float x) {
    float c = x < -104.0f ? -104.0f : (x > 89.0f ? 89.0f : x);
    c = c == c ? c : 0.0f;                                   // (NaN is restored at the end)
    float n = (c * 1.44269504088896341f + 12582912.0f) - 12582912.0f;   // round to nearest
    float r = c - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t k = (int32_t)n, k1 = k >> 1, k2 = k - k1;
    float result = p * bits_to_float((k1 + 127) << 23) * bits_to_float((k2 + 127) << 23);
    return x == x ? result : x;
}

// ln x = e·ln 2 + ln m, x = m·2ᵉ with m in [√½, √2) (subnormal x scaled by 2²³ first), and Cephes's
// logf polynomial for ln(1 + f), f = m − 1.
static inline __attribute__((always_inline)) float log_lane(float x) {
    int subnormal = x < 1.17549435e-38f;
    float scaled = subnormal ? x * 8388608.0f : x;
    int32_t bits = float_to_bits(scaled);
    int32_t e = ((bits >> 23) & 0xff) - 126;                 // scaled = m·2ᵉ, m in [½, 1)
    float m = bits_to_float((bits & 0x007fffff) | 0x3f000000);
    int below = m < 0.707106781186547524f;
    e = below ? e - 1 : e;
    float f = below ? m + m - 1.0f : m - 1.0f;
    float z = f * f;
    float y = 7.0376836292e-2f;
    y = y * f - 1.1514610310e-1f;
    y = y * f + 1.1676998740e-1f;
    y = y * f - 1.2420140846e-1f;
    y = y * f + 1.4249322787e-1f;
    y = y * f - 1.6668057665e-1f;
    y = y * f + 2.0000714765e-1f;
    y = y * f - 2.4999993993e-1f;
    y = y * f + 3.3333331174e-1f;
    y = y * f * z;
    float fe = (float)(subnormal ? e - 23 : e);
    y = y + fe * -2.12194440e-4f;
    y = y - 0.5f * z;
    float result = f + y;
    result = result + fe * 0.693359375f;
    result = x == 0.0f ? -INFINITY : result;
    result = x < 0.0f ? NAN : result;
    result = x == INFINITY ? INFINITY : result;
    return x == x ? result : x;
}

// tanh v: Cephes's odd polynomial below |v| = 0.625, sign(v)·(1 − 2/(e^{2|v|} + 1)) above.
static inline __attribute__((always_inline)) float tanh_lane(float v) {
    float a = fabsf(v);
    float z = v * v;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    float small = copysignf(a + a * z * p, v);              // (copysign keeps tanh(−0) = −0)
    float large = copysignf(1.0f - 2.0f / (exp_lane(a + a) + 1.0f), v);
    return a < 0.625f ? small : large;
}

// σ(v) = 1/(1 + e^{−v}) for v ≥ 0 and e^{v}/(1 + e^{v}) for v < 0: e^{−|v|} never overflows. The
// rounding error of s = 1 + e is recovered exactly (δ = (1 − s) + e, as e ≤ 1), and the quotient
// n/(s + δ) is refined once from its residual n − r·s − r·δ (a fused multiply-add), so only
// e^{−|v|}'s error and the last rounding remain.
static inline __attribute__((always_inline)) float sigmoid_lane(float v) {
    float e = exp_lane(-fabsf(v));
    float s = 1.0f + e;
    float delta = (1.0f - s) + e;
    float numerator = v >= 0.0f ? 1.0f : e;
    float q = 1.0f / s;
    float r = numerator * q;
    float residual = fmaf(-r, s, numerator) - r * delta;
    float result = fmaf(residual, q, r);
    return v == v ? result : v;                              // (NaN in, the same NaN out on every level)
}

#define MATH_BODY                                                              \
    switch (op) {                                                              \
    case SYNAPSE_MATH_EXP: for (long i = 0; i < n; i++) y[i] = exp_lane(x[i]); break; \
    case SYNAPSE_MATH_LOG: for (long i = 0; i < n; i++) y[i] = log_lane(x[i]); break; \
    case SYNAPSE_MATH_TANH: for (long i = 0; i < n; i++) y[i] = tanh_lane(x[i]); break; \
    case SYNAPSE_MATH_SIGMOID: for (long i = 0; i < n; i++) y[i] = sigmoid_lane(x[i]); break; \
    }

#define MATH_SIGNATURE (int op, const float *x, float *y, long n)
#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))) static void math_avx512 MATH_SIGNATURE { MATH_BODY }
__attribute__((target("avx2,fma"))) static void math_avx2 MATH_SIGNATURE { MATH_BODY }
#endif
static void math_portable MATH_SIGNATURE { MATH_BODY }

void synapse_math_f32(int op, const float *x, float *y, long n, int level) {
    int cpu = synapse_cached_cpu_level();
    int chosen = level >= 0 && level < cpu ? level : cpu;
#if defined(__x86_64__)
    switch (chosen) {
    case 2: math_avx512(op, x, y, n); return;
    case 1: math_avx2(op, x, y, n); return;
    }
#endif
    (void)chosen;
    math_portable(op, x, y, n);
}

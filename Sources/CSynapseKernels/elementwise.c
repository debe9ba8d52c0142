#include "synapse_kernels.h"
#include <math.h>

// Exactly the scalar arithmetic: never contract a*b+c into a fused multiply-add.
#pragma clang fp contract(off)

#if defined(__x86_64__) && defined(__linux__)
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
void synapse_sdot_rows(const float *x, const float *w, long k, long n, long ldw, float *out) {
    for (long j = 0; j < n; j++) {
        const float *row = w + j * ldw;
        float sum = 0;
        {
            // Vector lanes hold partial sums (a fixed order for a given instruction set).
#pragma clang fp reassociate(on) contract(fast)
            for (long p = 0; p < k; p++) sum += x[p] * row[p];
        }
        out[j] = sum;
    }
}

// The commonest elementwise loops in single precision, compiled per instruction set.
#include "synapse_kernels.h"
#include "internal.h"

// Exactly the scalar arithmetic: never contract a*b+c into a fused multiply-add.
#pragma clang fp contract(off)

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
void synapse_relu_backward_f32(const float *x, const float *g, float *dx, long n) {
    for (long i = 0; i < n; i++) dx[i] = x[i] > 0 ? g[i] : 0.0f;
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

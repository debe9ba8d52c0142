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

// Max pooling over 2×2 windows at stride 2 of one plane (rows `width` floats apart): each output is
// the max of (a b / c d) in that order, the first maximum winning (a NaN in a wins, one elsewhere
// never does), and its row-major index within the plane goes to `winners`. Branch-free selects, so
// the compiler vectorizes the loop and data-dependent winners cost no mispredictions.
CLONES
void synapse_max_pool_2x2_f32(const float *x, long width, long out_h, long out_w, float *y, int32_t *winners) {
    for (long oy = 0; oy < out_h; oy++) {
        const float *top = x + 2 * oy * width, *bottom = top + width;
        float *out = y + oy * out_w;
        int32_t *win = winners + oy * out_w;
        const int32_t base = (int32_t)(2 * oy * width), below = (int32_t)width;
        for (long ox = 0; ox < out_w; ox++) {
            const float a = top[2 * ox], b = top[2 * ox + 1], c = bottom[2 * ox], d = bottom[2 * ox + 1];
            const int32_t left = base + 2 * (int32_t)ox;
            float best = a;
            int32_t index = left;
            const int bWins = b > best;
            best = bWins ? b : best;
            index = bWins ? left + 1 : index;
            const int cWins = c > best;
            best = cWins ? c : best;
            index = cWins ? left + below : index;
            const int dWins = d > best;
            best = dWins ? d : best;
            index = dWins ? left + below + 1 : index;
            out[ox] = best;
            win[ox] = index;
        }
    }
}


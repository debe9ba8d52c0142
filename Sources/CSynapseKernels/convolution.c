// Direct 2-D convolution for few input channels (the first layer of a CNN: LeNet's conv1 has one),
// where im2col would copy every input value kh·kw times to feed a GEMM with a tiny inner dimension.
// Stride 1 along the width; any kernel size, padding, height stride and dilation. The loops are in
// convolution_body.h, compiled here once per instruction set:
//
//   forward      y[o, p, q] = b[o] + Σ_{c,i,j} W[o, c, i, j] · x[c, p·sy − py + i·dy, q − px + j·dx]
//   weight grad  ∂L/∂W[o, c, i, j] = Σ_{p,q} g[o, p, q] · x[c, p·sy − py + i·dy, q − px + j·dx]
//
// The sample is first copied into zero-padded planes whose rows are long enough for whole vectors
// (no bounds tests, no masked loads in the loops); the output gradient likewise, with zero lanes past
// each row's end. The input gradient stays with the GEMM (Autograd/Convolution.swift).
#include "synapse_kernels.h"
#include "internal.h"
#include <string.h>

// Floats per vector and forward tile width (vectors of one output row) per CPU level 0, 1, 2.
static const long conv_lanes[3] = {4, 8, 16};
#define OB_FORWARD 6
#define NV_FORWARD 2

// Whether the direct kernels beat im2col + GEMM here: with vector FMA (x86-64 from AVX2 on, or any
// other CPU, whose baseline has it); an x86-64 CPU without FMA would call fmaf for every lane.
int synapse_conv2d_direct_pays(void) {
#if defined(__x86_64__)
    return synapse_cached_cpu_level() >= 1;
#else
    return 1;
#endif
}

static int conv_level(int level) {
    int cpu = synapse_cached_cpu_level();
    return level < 0 || level > cpu ? cpu : level;
}

long synapse_conv_row_stride(const synapse_conv_shape *s, int level) {
    const long tile = NV_FORWARD * conv_lanes[conv_level(level)];
    return (s->out_w + tile - 1) / tile * tile + (s->kernel_w - 1) * s->dilation_x;
}

long synapse_conv_gradient_row_stride(const synapse_conv_shape *s, int level) {
    const long lanes = conv_lanes[conv_level(level)];
    return (s->out_w + lanes - 1) / lanes * lanes;
}

// The padded output gradient has zero planes past the last channel for the weight tile's last block
// (tiles of up to 8 channels at any level).
static long gradient_planes(const synapse_conv_shape *s) { return s->out_channels + 7; }

long synapse_conv2d_direct_scratch(const synapse_conv_shape *s, int level) {
    const long input = s->channels * (s->height + 2 * s->pad_y) * synapse_conv_row_stride(s, level);
    const long gradient = gradient_planes(s) * s->out_h * synapse_conv_gradient_row_stride(s, level);
    return input + gradient;
}

long synapse_conv2d_packed_weight_size(const synapse_conv_shape *s) {
    return (s->out_channels + OB_FORWARD - 1) / OB_FORWARD * OB_FORWARD * s->channels * s->kernel_h * s->kernel_w;
}

void synapse_conv2d_pack_weight_f32(const synapse_conv_shape *s, const float *w, float *packed) {
    // [O, C, kh, kw] → [O/6][C][kh][kw][6], zeros for the channels past O.
    const long taps = s->channels * s->kernel_h * s->kernel_w, blocks = (s->out_channels + OB_FORWARD - 1) / OB_FORWARD;
    for (long b = 0; b < blocks; b++)
        for (long t = 0; t < taps; t++)
            for (long o = 0; o < OB_FORWARD; o++) {
                const long channel = b * OB_FORWARD + o;
                packed[(b * taps + t) * OB_FORWARD + o] = channel < s->out_channels ? w[channel * taps + t] : 0.0f;
            }
}

// One sample's planes, zero-padded, rows `row_stride` floats apart.
static void pad_input(const synapse_conv_shape *s, const float *x, float *xp, long row_stride) {
    const long PH = s->height + 2 * s->pad_y;
    memset(xp, 0, sizeof(float) * (size_t)(s->channels * PH * row_stride));
    for (long c = 0; c < s->channels; c++)
        for (long r = 0; r < s->height; r++)
            memcpy(xp + (c * PH + r + s->pad_y) * row_stride + s->pad_x, x + (c * s->height + r) * s->width, sizeof(float) * (size_t)s->width);
}

#if defined(__x86_64__)
#define SUFFIX avx512
#define LEVEL 2
#define LANES 16
#define OB_WEIGHT 3
#define JB_WEIGHT 6
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))), apply_to = function)
#include "convolution_body.h"
#pragma clang attribute pop
#undef SUFFIX
#undef LEVEL
#undef LANES
#undef OB_WEIGHT
#undef JB_WEIGHT

#define SUFFIX avx2
#define LEVEL 1
#define LANES 8
#define OB_WEIGHT 2
#define JB_WEIGHT 4
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#include "convolution_body.h"
#pragma clang attribute pop
#undef SUFFIX
#undef LEVEL
#undef LANES
#undef OB_WEIGHT
#undef JB_WEIGHT
#endif

#define SUFFIX portable
#define LEVEL 0
#define LANES 4
#define OB_WEIGHT 2
#define JB_WEIGHT 5
#include "convolution_body.h"
#undef SUFFIX
#undef LEVEL
#undef LANES
#undef OB_WEIGHT
#undef JB_WEIGHT

void synapse_conv2d_direct_forward_f32(const synapse_conv_shape *s, const float *x, const float *packed, const float *bias,
                                       float *y, float *scratch, int level) {
    level = conv_level(level);
    pad_input(s, x, scratch, synapse_conv_row_stride(s, level));
#if defined(__x86_64__)
    if (level == 2) { forward_avx512(s, scratch, packed, bias, y); return; }
    if (level == 1) { forward_avx2(s, scratch, packed, bias, y); return; }
#endif
    forward_portable(s, scratch, packed, bias, y);
}

void synapse_conv2d_direct_weight_gradient_f32(const synapse_conv_shape *s, const float *x, const float *g, float *dw,
                                               float *scratch, int level) {
    level = conv_level(level);
    const long S = synapse_conv_row_stride(s, level), GW = synapse_conv_gradient_row_stride(s, level);
    float *xp = scratch, *gp = scratch + s->channels * (s->height + 2 * s->pad_y) * S;
    pad_input(s, x, xp, S);
    const long rows = gradient_planes(s) * s->out_h;
    memset(gp, 0, sizeof(float) * (size_t)(rows * GW));
    for (long r = 0; r < s->out_channels * s->out_h; r++) memcpy(gp + r * GW, g + r * s->out_w, sizeof(float) * (size_t)s->out_w);
#if defined(__x86_64__)
    if (level == 2) { weight_gradient_avx512(s, xp, gp, dw); return; }
    if (level == 1) { weight_gradient_avx2(s, xp, gp, dw); return; }
#endif
    weight_gradient_portable(s, xp, gp, dw);
}

// Direct 2-D convolution on flattened padded planes, for any number of channels (the 3×3 layers of a
// ResNet, its stride-2 layers and 1×1 shortcuts), where im2col would write and pack C·kh·kw copies of
// the input to feed a GEMM whose other side is only O = 16…64 kernels wide.
//
// At stride 1, a sample's planes are copied once into zero-padded planes of S = W + 2·px columns.
// Output position (p, q) is then flat position r = p·S + q, and tap (i, j) of every output reads the
// input at r + i·dy·S + j·dx: one constant offset per tap, so a vector of 16 consecutive flat
// positions is one contiguous load whatever the plane's width — a 7 × 7 plane fills vectors as well
// as a 28 × 28 one. At stride (sy, sx) each padded plane is first split into sy·sx phase planes,
// phase (a, b) holding the padded rows a, a + sy, … and columns b, b + sx, …, S = ⌈(W + 2·px) / sx⌉
// columns each: tap (i, j) of output (p, q) reads phase ((i·dy) mod sy, (j·dx) mod sx) at row
// p + ⌊i·dy / sy⌋, column q + ⌊j·dx / sx⌋ — a stride-1 read again. The S − OW columns past each row's
// end are computed and dropped (forward), or carry a zero gradient (weight gradient). The loops are
// in convolution_flat_body.h, compiled once per instruction set:
//
//   forward      y[o, r] = b[o] + Σ_{c,i,j} W[o, c, i, j] · xp[c, r + offset(i, j)]
//   weight grad  ∂L/∂W[o, c, i, j] = Σ_r g[o, r] · xp[c, r + offset(i, j)]   (g = 0 past each row)
//
// The input gradient of a stride-1 convolution is a forward convolution too: ∂L/∂x = g ⋆ W', with
// W'[c, o, i, j] = W[o, c, kh−1−i, kw−1−j] and padding (k − 1)·d − p (the "full" correlation); the
// caller builds that shape and packs W' with `flipped` set.
#include "synapse_kernels.h"
#include "internal.h"
#include <string.h>

// Per CPU level 0, 1, 2: floats per vector, forward tile (output channels × vectors of flat
// positions) and weight-gradient tile (output channels; taps of one kernel row, 3 at every level).
static const long flat_lanes[3] = {4, 8, 16};
static const long flat_forward_channels[3] = {4, 4, 8};
static const long flat_weight_channels[3] = {2, 3, 4};
#define FLAT_TAPS 3

static int flat_level(int level) {
    int cpu = synapse_cached_cpu_level();
    return level < 0 || level > cpu ? cpu : level;
}

// The flat layout of one sample: S, the phase planes' row; R, the flat output positions in whole
// vectors; `plane`, one phase plane with every row a tap can reach from R positions (the last tap of
// the last vector reads up to LANES − 1 past its phase rows); `channel`, the sy·sx phase planes of a
// channel. The offsets of kernel row i and column j within a channel (phase plane included) come
// with it, in the first 2·(kh + kw) floats of the scratch.
typedef struct {
    long S, R, plane, channel;
    const long *row_offset, *column_offset;
} flat_layout;

static long flat_row(const synapse_conv_shape *s) { return (s->width + 2 * s->pad_x + s->stride_x - 1) / s->stride_x; }
static long flat_phase_rows(const synapse_conv_shape *s) { return (s->height + 2 * s->pad_y + s->stride_y - 1) / s->stride_y; }
static long flat_positions(const synapse_conv_shape *s, long lanes) { return (s->out_h * flat_row(s) + lanes - 1) / lanes * lanes; }
static long flat_plane(const synapse_conv_shape *s, long lanes) {
    return (flat_phase_rows(s) + 1) * flat_row(s) + (s->kernel_w - 1) * s->dilation_x / s->stride_x + lanes;
}
static long flat_offset_floats(const synapse_conv_shape *s) { return (2 * (s->kernel_h + s->kernel_w) + 15) / 16 * 16; }

static flat_layout flat_setup(const synapse_conv_shape *s, long lanes, float *scratch) {
    flat_layout f;
    f.S = flat_row(s);
    f.R = flat_positions(s, lanes);
    f.plane = flat_plane(s, lanes);
    f.channel = s->stride_y * s->stride_x * f.plane;
    long *rows = (long *)(void *)scratch, *columns = rows + s->kernel_h;
    for (long i = 0; i < s->kernel_h; i++) {
        const long y = i * s->dilation_y;
        rows[i] = (y % s->stride_y) * s->stride_x * f.plane + (y / s->stride_y) * f.S;
    }
    for (long j = 0; j < s->kernel_w; j++) {
        const long x = j * s->dilation_x;
        columns[j] = (x % s->stride_x) * f.plane + x / s->stride_x;
    }
    f.row_offset = rows;
    f.column_offset = columns;
    return f;
}

long synapse_conv2d_flat_scratch(const synapse_conv_shape *s, int level) {
    const long lanes = flat_lanes[flat_level(level)];
    return flat_offset_floats(s) + s->channels * s->stride_y * s->stride_x * flat_plane(s, lanes) + s->out_channels * flat_positions(s, lanes);
}

long synapse_conv2d_flat_samples_per_call(const synapse_conv_shape *s, int level) {
    // As many samples as keep a weight tile's gradient rows (OBW channels × R positions × samples)
    // within 16 KB of L1, at most 8: their sums share the tile's registers, so the lanes are added
    // once per call rather than once per sample.
    level = flat_level(level);
    const long rows = flat_weight_channels[level] * flat_positions(s, flat_lanes[level]);
    const long samples = 4096 / rows;
    return samples < 1 ? 1 : samples > 8 ? 8 : samples;
}

long synapse_conv2d_flat_packed_weight_size(const synapse_conv_shape *s, int level) {
    const long ob = flat_forward_channels[flat_level(level)];
    return (s->out_channels + ob - 1) / ob * ob * s->channels * s->kernel_h * s->kernel_w;
}

void synapse_conv2d_flat_pack_weight_f32(const synapse_conv_shape *s, const float *w, int flipped, float *packed, int level) {
    // [O, C, kh, kw] → [O/ob][C][kh][kw][ob], zeros for the channels past O. Flipped: w is the
    // weight of the forward convolution [C, O, kh, kw] (this shape's channels are its outputs), read
    // as W'[o, c, i, j] = w[c, o, kh−1−i, kw−1−j].
    const long ob = flat_forward_channels[flat_level(level)];
    const long C = s->channels, O = s->out_channels, KH = s->kernel_h, KW = s->kernel_w, taps = KH * KW;
    for (long b = 0; b * ob < O; b++)
        for (long c = 0; c < C; c++)
            for (long t = 0; t < taps; t++)
                for (long o = 0; o < ob; o++) {
                    const long channel = b * ob + o;
                    float value = 0.0f;
                    if (channel < O)
                        value = flipped ? w[(c * O + channel) * taps + (taps - 1 - t)] : w[(channel * C + c) * taps + t];
                    packed[((b * C + c) * taps + t) * ob + o] = value;
                }
}

// One sample's planes into zero-padded phase planes (at stride 1: one padded plane per channel).
static void flat_pad_input(const synapse_conv_shape *s, const flat_layout *f, const float *x, float *xp) {
    memset(xp, 0, sizeof(float) * (size_t)(s->channels * f->channel));
    const long sy = s->stride_y, sx = s->stride_x;
    for (long c = 0; c < s->channels; c++)
        for (long r = 0; r < s->height; r++) {
            const long y = r + s->pad_y;
            float *phases = xp + c * f->channel + (y % sy) * sx * f->plane + (y / sy) * f->S;
            const float *source = x + (c * s->height + r) * s->width;
            if (sx == 1) {
                memcpy(phases + s->pad_x, source, sizeof(float) * (size_t)s->width);
            } else {
                // Column q + px goes to phase b = (q + px) mod sx, column v = ⌊(q + px) / sx⌋ there.
                long b = s->pad_x % sx, v = s->pad_x / sx;
                for (long q = 0; q < s->width; q++) {
                    phases[b * f->plane + v] = source[q];
                    if (++b == sx) { b = 0; v++; }
                }
            }
        }
}

#if defined(__x86_64__)
#define SUFFIX avx512
#define LANES 16
#define OB 8
#define NV 3
#define OBW 4
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))), apply_to = function)
#include "convolution_flat_body.h"
#pragma clang attribute pop
#undef SUFFIX
#undef LANES
#undef OB
#undef NV
#undef OBW

#define SUFFIX avx2
#define LANES 8
#define OB 4
#define NV 3
#define OBW 3
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#include "convolution_flat_body.h"
#pragma clang attribute pop
#undef SUFFIX
#undef LANES
#undef OB
#undef NV
#undef OBW
#endif

#define SUFFIX portable
#define LANES 4
#define OB 4
#define NV 2
#define OBW 2
#include "convolution_flat_body.h"
#undef SUFFIX
#undef LANES
#undef OB
#undef NV
#undef OBW

void synapse_conv2d_flat_forward_f32(const synapse_conv_shape *s, const float *x, const float *packed, const float *bias,
                                     float *y, float *scratch, int level) {
    level = flat_level(level);
    const flat_layout f = flat_setup(s, flat_lanes[level], scratch);
    float *xp = scratch + flat_offset_floats(s), *flat = xp + s->channels * f.channel;
    flat_pad_input(s, &f, x, xp);
#if defined(__x86_64__)
    if (level == 2) flat_forward_avx512(s, &f, xp, packed, bias, flat);
    else if (level == 1) flat_forward_avx2(s, &f, xp, packed, bias, flat);
    else
#endif
    flat_forward_portable(s, &f, xp, packed, bias, flat);
    // Drop the S − OW columns past each output row.
    for (long o = 0; o < s->out_channels; o++)
        for (long p = 0; p < s->out_h; p++)
            memcpy(y + (o * s->out_h + p) * s->out_w, flat + o * f.R + p * f.S, sizeof(float) * (size_t)s->out_w);
}

void synapse_conv2d_flat_weight_gradient_f32(const synapse_conv_shape *s, const float *x, const float *g, long samples, float *dw,
                                             float *scratch, int level) {
    level = flat_level(level);
    const flat_layout f = flat_setup(s, flat_lanes[level], scratch);
    const long xs = s->channels * f.channel, gs = s->out_channels * f.R;
    float *xp = scratch + flat_offset_floats(s), *gp = xp + samples * xs;
    for (long n = 0; n < samples; n++) {
        flat_pad_input(s, &f, x + n * s->channels * s->height * s->width, xp + n * xs);
        // The output gradient laid out like the flat output: zero past each row and past R.
        float *gn = gp + n * gs;
        const float *source = g + n * s->out_channels * s->out_h * s->out_w;
        memset(gn, 0, sizeof(float) * (size_t)gs);
        for (long o = 0; o < s->out_channels; o++)
            for (long p = 0; p < s->out_h; p++)
                memcpy(gn + o * f.R + p * f.S, source + (o * s->out_h + p) * s->out_w, sizeof(float) * (size_t)s->out_w);
    }
#if defined(__x86_64__)
    if (level == 2) { flat_weight_gradient_avx512(s, &f, xp, gp, samples, xs, gs, dw); return; }
    if (level == 1) { flat_weight_gradient_avx2(s, &f, xp, gp, samples, xs, gs, dw); return; }
#endif
    flat_weight_gradient_portable(s, &f, xp, gp, samples, xs, gs, dw);
}

// The direct convolution's loops, compiled once per instruction set by convolution.c, which defines
// before including this file: SUFFIX (the functions' name suffix), LEVEL (its CPU level), LANES (floats per vector),
// OB_FORWARD × NV_FORWARD (the forward tile: output channels × vectors of one output row) and
// OB_WEIGHT × JB_WEIGHT (the weight-gradient tile: output channels × taps of one kernel row).
// Every vector operation is an explicit fused multiply-add, so every build (release, debug) and every
// run gives the same bits for a given instruction set.

#define NAME_(base, suffix) base##_##suffix
#define NAME2_(base, suffix) NAME_(base, suffix)
#define NAME(base) NAME2_(base, SUFFIX)

_Static_assert(OB_WEIGHT <= 8, "gradient_planes (convolution.c) pads the output gradient for tiles of up to 8 channels");

typedef float NAME(vec) __attribute__((ext_vector_type(LANES)));
#define vec_t NAME(vec)

static inline __attribute__((always_inline)) vec_t NAME(load)(const float *p) {
    vec_t v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) vec_t NAME(splat)(float s) {
    vec_t v = s;
    return v;
}

// The sum of a vector's lanes, first to last (a fixed order: the same bits on every run).
static inline __attribute__((always_inline)) float NAME(lane_sum)(vec_t v) {
    float lanes[LANES], sum = 0;
    __builtin_memcpy(lanes, &v, sizeof v);
    for (int l = 0; l < LANES; l++) sum += lanes[l];
    return sum;
}

// y[o, p, q] = b[o] + Σ_{c,i,j} W[o, c, i, j] · xp[c, p·sy + i·dy, q + j·dx]  for one sample: a tile
// of OB_FORWARD channels × NV_FORWARD·LANES positions of output row p keeps its sums in registers; each
// tap loads NV_FORWARD input vectors once and multiplies them by OB_FORWARD broadcast weights.
static void NAME(forward)(const synapse_conv_shape *s, const float *restrict xp, const float *restrict wp,
                          const float *restrict bias, float *restrict y) {
    const long C = s->channels, KH = s->kernel_h, KW = s->kernel_w, O = s->out_channels;
    const long OH = s->out_h, OW = s->out_w, S = synapse_conv_row_stride(s, LEVEL), PH = s->height + 2 * s->pad_y;
    const long TW = NV_FORWARD * LANES, tiles = (OW + TW - 1) / TW;
    for (long b = 0; b * OB_FORWARD < O; b++) {
        const float *wb = wp + b * C * KH * KW * OB_FORWARD;
        const long count = O - b * OB_FORWARD < OB_FORWARD ? O - b * OB_FORWARD : OB_FORWARD;
        for (long p = 0; p < OH; p++) {
            for (long t = 0; t < tiles; t++) {
                const long q0 = t * TW;
                vec_t acc[OB_FORWARD][NV_FORWARD];
                for (int o = 0; o < OB_FORWARD; o++)
                    for (int v = 0; v < NV_FORWARD; v++) acc[o][v] = NAME(splat)(bias && o < count ? bias[b * OB_FORWARD + o] : 0.0f);
                for (long c = 0; c < C; c++) {
                    for (long i = 0; i < KH; i++) {
                        const float *row = xp + (c * PH + p * s->stride_y + i * s->dilation_y) * S + q0;
                        const float *wr = wb + (c * KH + i) * KW * OB_FORWARD;
                        for (long j = 0; j < KW; j++) {
                            vec_t x[NV_FORWARD];
                            for (int v = 0; v < NV_FORWARD; v++) x[v] = NAME(load)(row + j * s->dilation_x + v * LANES);
                            for (int o = 0; o < OB_FORWARD; o++) {
                                const vec_t w = NAME(splat)(wr[j * OB_FORWARD + o]);
                                for (int v = 0; v < NV_FORWARD; v++) acc[o][v] = __builtin_elementwise_fma(x[v], w, acc[o][v]);
                            }
                        }
                    }
                }
                const long n = OW - q0 < TW ? OW - q0 : TW;
                for (long o = 0; o < count; o++) {
                    float *out = y + ((b * OB_FORWARD + o) * OH + p) * OW + q0;
                    if (n == TW) {
                        __builtin_memcpy(out, acc[o], sizeof acc[o]);
                    } else {
                        float lanes[NV_FORWARD * LANES];
                        __builtin_memcpy(lanes, acc[o], sizeof lanes);
                        __builtin_memcpy(out, lanes, (size_t)n * sizeof(float));
                    }
                }
            }
        }
    }
}

// dW[o, c, i, j] += Σ_{p,q} g[o, p, q] · xp[c, p·sy + i·dy, q + j·dx] for OB_WEIGHT channels from o0 and
// JN ≤ JB_WEIGHT taps from j0 of kernel row (c, i): one sum per (o, j) in a register, over every
// output row and vector of positions (gp's lanes past the row's end are zero), then added into dW.
static inline __attribute__((always_inline)) void NAME(weight_tile)(const synapse_conv_shape *s, const float *restrict xp,
                                                                       const float *restrict gp, long GW, long o0, long c, long i,
                                                                       long j0, float *restrict dw, const int JN) {
    const long KH = s->kernel_h, KW = s->kernel_w, C = s->channels, OH = s->out_h;
    const long S = synapse_conv_row_stride(s, LEVEL), PH = s->height + 2 * s->pad_y, vectors = GW / LANES;
    vec_t acc[OB_WEIGHT][JB_WEIGHT];
    for (int o = 0; o < OB_WEIGHT; o++)
        for (int j = 0; j < JB_WEIGHT; j++) acc[o][j] = NAME(splat)(0.0f);
    for (long p = 0; p < OH; p++) {
        const float *row = xp + (c * PH + p * s->stride_y + i * s->dilation_y) * S + j0 * s->dilation_x;
        const float *grow = gp + (o0 * OH + p) * GW;
        for (long v = 0; v < vectors; v++) {
            vec_t g[OB_WEIGHT];
            for (int o = 0; o < OB_WEIGHT; o++) g[o] = NAME(load)(grow + o * OH * GW + v * LANES);
            for (int j = 0; j < JN; j++) {
                const vec_t x = NAME(load)(row + v * LANES + j * s->dilation_x);
                for (int o = 0; o < OB_WEIGHT; o++) acc[o][j] = __builtin_elementwise_fma(g[o], x, acc[o][j]);
            }
        }
    }
    const long count = s->out_channels - o0 < OB_WEIGHT ? s->out_channels - o0 : OB_WEIGHT;
    for (long o = 0; o < count; o++)
        for (int j = 0; j < JN; j++) dw[(((o0 + o) * C + c) * KH + i) * KW + j0 + j] += NAME(lane_sum)(acc[o][j]);
}

static void NAME(weight_gradient)(const synapse_conv_shape *s, const float *restrict xp, const float *restrict gp, float *restrict dw) {
    const long GW = synapse_conv_gradient_row_stride(s, LEVEL);
    for (long o0 = 0; o0 < s->out_channels; o0 += OB_WEIGHT)
        for (long c = 0; c < s->channels; c++)
            for (long i = 0; i < s->kernel_h; i++)
                for (long j0 = 0; j0 < s->kernel_w; j0 += JB_WEIGHT) {
                    const long left = s->kernel_w - j0;
                    switch (left < JB_WEIGHT ? left : JB_WEIGHT) {
#define TAPS(n) case n: NAME(weight_tile)(s, xp, gp, GW, o0, c, i, j0, dw, n); break;
                    TAPS(1) TAPS(2) TAPS(3)
#if JB_WEIGHT >= 4
                    TAPS(4)
#endif
#if JB_WEIGHT >= 5
                    TAPS(5)
#endif
#if JB_WEIGHT >= 6
                    TAPS(6)
#endif
#undef TAPS
                    }
                }
}

#undef vec_t
#undef NAME
#undef NAME2_
#undef NAME_

// The flat-plane direct convolution's loops, compiled once per instruction set by convolution_flat.c,
// which defines before including this file: SUFFIX (the functions' name suffix), LANES (floats per
// vector), OB × NV (the forward tile: output channels × vectors of flat positions) and OBW (the
// weight-gradient tile's output channels, × FLAT_TAPS taps of one kernel row). Every vector
// operation is an explicit fused multiply-add, so every build and every run gives the same bits for
// a given instruction set.

#define FNAME_(base, suffix) base##_##suffix
#define FNAME2_(base, suffix) FNAME_(base, suffix)
#define FNAME(base) FNAME2_(base, SUFFIX)

_Static_assert(OB == 8 || OB == 4, "flat_forward has cases for tiles of 8 or 4 channels");
_Static_assert(OBW >= 2 && OBW <= 4, "flat_weight_gradient has cases for tiles of 2 to 4 channels");

typedef float FNAME(fvec) __attribute__((ext_vector_type(LANES)));
#define fvec_t FNAME(fvec)

static inline __attribute__((always_inline)) fvec_t FNAME(fload)(const float *p) {
    fvec_t v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) fvec_t FNAME(fsplat)(float s) {
    fvec_t v = s;
    return v;
}

// The sum of a vector's lanes by halving (a fixed tree: the same bits on every run).
static inline __attribute__((always_inline)) float FNAME(flane_sum)(fvec_t v) {
#if LANES == 16
    __typeof__(v.lo) h8 = v.lo + v.hi;
    __typeof__(h8.lo) h4 = h8.lo + h8.hi;
#elif LANES == 8
    __typeof__(v.lo) h4 = v.lo + v.hi;
#else
    fvec_t h4 = v;
#endif
    __typeof__(h4.lo) h2 = h4.lo + h4.hi;
    return h2.x + h2.y;
}

// y[o, r] = b[o] + Σ_{c,i,j} W[o, c, i, j] · xp[c, r + offset(i, j)] for ON ≤ OB channels of block b and
// VN ≤ NV vectors of flat positions from r0: the sums stay in registers; each tap loads VN input
// vectors once and multiplies them by OB broadcast weights.
static inline __attribute__((always_inline)) void FNAME(flat_forward_tile)(const synapse_conv_shape *s, const flat_layout *f, const float *restrict xp,
                                                                            const float *restrict wb, const float *restrict bias,
                                                                            float *restrict y, long b, long r0, const int VN, const int ON) {
    const long C = s->channels, KH = s->kernel_h, KW = s->kernel_w, R = f->R;
    fvec_t acc[OB][NV];
    for (int o = 0; o < ON; o++)
        for (int v = 0; v < VN; v++) acc[o][v] = FNAME(fsplat)(bias ? bias[b * OB + o] : 0.0f);
    for (long c = 0; c < C; c++) {
        for (long i = 0; i < KH; i++) {
            const float *row = xp + c * f->channel + f->row_offset[i] + r0;
            const float *wr = wb + (c * KH + i) * KW * OB;
            for (long j = 0; j < KW; j++) {
                fvec_t x[NV];
                for (int v = 0; v < VN; v++) x[v] = FNAME(fload)(row + f->column_offset[j] + v * LANES);
                for (int o = 0; o < ON; o++) {
                    const fvec_t w = FNAME(fsplat)(wr[j * OB + o]);
                    for (int v = 0; v < VN; v++) acc[o][v] = __builtin_elementwise_fma(x[v], w, acc[o][v]);
                }
            }
        }
    }
    for (int o = 0; o < ON; o++)
        for (int v = 0; v < VN; v++) __builtin_memcpy(y + (b * OB + o) * R + r0 + v * LANES, &acc[o][v], sizeof acc[o][v]);
}

// The tiles' sizes are compile-time constants (a case per count of vectors and of channels), so the
// last block of channels and the last vectors of the plane compute no padding.
static void FNAME(flat_forward)(const synapse_conv_shape *s, const flat_layout *f, const float *restrict xp, const float *restrict wp,
                                const float *restrict bias, float *restrict y) {
    const long taps = s->channels * s->kernel_h * s->kernel_w, vectors = f->R / LANES;
    for (long b = 0; b * OB < s->out_channels; b++) {
        const float *wb = wp + b * taps * OB;
        const long channels = s->out_channels - b * OB < OB ? s->out_channels - b * OB : OB;
        for (long v0 = 0; v0 < vectors; v0 += NV) {
            const long left = vectors - v0, vn = left < NV ? left : NV;
            switch (vn * 16 + channels) {
#define TILE(v, o) case v * 16 + o: FNAME(flat_forward_tile)(s, f, xp, wb, bias, y, b, v0 * LANES, v, o); break;
#if OB == 8
#define TILES(v) TILE(v, 1) TILE(v, 2) TILE(v, 3) TILE(v, 4) TILE(v, 5) TILE(v, 6) TILE(v, 7) TILE(v, 8)
#else
#define TILES(v) TILE(v, 1) TILE(v, 2) TILE(v, 3) TILE(v, 4)
#endif
            TILES(1) TILES(2)
#if NV >= 3
            TILES(3)
#endif
#undef TILES
#undef TILE
            }
        }
    }
}

// dW[o, c, i, j] += Σ_{n,r} g[n, o, r] · xp[n, c, r + offset(i, j)] for ON ≤ OBW channels from o0 and
// JN ≤ FLAT_TAPS taps from j0 of kernel row (c, i), over the `samples` samples padded side by side
// (`xs`, `gs` floats apart): one sum per (o, j) in a register over every vector of flat positions (g
// is zero past each row's end), then added into dW.
static inline __attribute__((always_inline)) void FNAME(flat_weight_tile)(const synapse_conv_shape *s, const flat_layout *f, const float *restrict xp,
                                                                           const float *restrict gp, long samples, long xs, long gs,
                                                                           long o0, long c, long i, long j0, float *restrict dw,
                                                                           const int JN, const int ON) {
    const long KH = s->kernel_h, KW = s->kernel_w, C = s->channels, R = f->R, vectors = R / LANES;
    long columns[FLAT_TAPS];
    for (int j = 0; j < JN; j++) columns[j] = f->column_offset[j0 + j];
    fvec_t acc[OBW][FLAT_TAPS];
    for (int o = 0; o < ON; o++)
        for (int j = 0; j < JN; j++) acc[o][j] = FNAME(fsplat)(0.0f);
    for (long n = 0; n < samples; n++) {
        const float *row = xp + n * xs + c * f->channel + f->row_offset[i];
        const float *grow = gp + n * gs + o0 * R;
        for (long v = 0; v < vectors; v++) {
            fvec_t g[OBW];
            for (int o = 0; o < ON; o++) g[o] = FNAME(fload)(grow + o * R + v * LANES);
            for (int j = 0; j < JN; j++) {
                const fvec_t x = FNAME(fload)(row + v * LANES + columns[j]);
                for (int o = 0; o < ON; o++) acc[o][j] = __builtin_elementwise_fma(g[o], x, acc[o][j]);
            }
        }
    }
    for (int o = 0; o < ON; o++)
        for (int j = 0; j < JN; j++) dw[(((o0 + o) * C + c) * KH + i) * KW + j0 + j] += FNAME(flane_sum)(acc[o][j]);
}

static void FNAME(flat_weight_gradient)(const synapse_conv_shape *s, const flat_layout *f, const float *restrict xp, const float *restrict gp,
                                        long samples, long xs, long gs, float *restrict dw) {
    for (long o0 = 0; o0 < s->out_channels; o0 += OBW) {
        const long channels = s->out_channels - o0 < OBW ? s->out_channels - o0 : OBW;
        for (long c = 0; c < s->channels; c++)
            for (long i = 0; i < s->kernel_h; i++)
                for (long j0 = 0; j0 < s->kernel_w; j0 += FLAT_TAPS) {
                    const long left = s->kernel_w - j0, jn = left < FLAT_TAPS ? left : FLAT_TAPS;
                    switch (jn * 16 + channels) {
#define TILE(j, o) case j * 16 + o: FNAME(flat_weight_tile)(s, f, xp, gp, samples, xs, gs, o0, c, i, j0, dw, j, o); break;
#if OBW == 4
#define TILES(j) TILE(j, 1) TILE(j, 2) TILE(j, 3) TILE(j, 4)
#elif OBW == 3
#define TILES(j) TILE(j, 1) TILE(j, 2) TILE(j, 3)
#else
#define TILES(j) TILE(j, 1) TILE(j, 2)
#endif
                    TILES(1) TILES(2) TILES(3)
#undef TILES
#undef TILE
                    }
                }
    }
}

#undef fvec_t
#undef FNAME
#undef FNAME2_
#undef FNAME_

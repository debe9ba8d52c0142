#ifndef SYNAPSE_KERNELS_H
#define SYNAPSE_KERNELS_H

#include <stdint.h>

/// Register-tile micro-kernels for the GEMM that need instructions Swift cannot emit without
/// target flags (fused multiply-add on AVX2 / AVX-512). Each function is compiled for its
/// instruction set with a `target` attribute and is only called after the CPU is checked, so the
/// package builds and runs on any x86-64 (and any other architecture, where these return 0).

/// 2 when the CPU runs AVX-512F with FMA, 1 for AVX2 with FMA, 0 otherwise.
int synapse_cpu_level(void);

/// C[0..<rows, 0..<columns] = alpha * sum_p A[0..<6, p] (outer) b[p*ldb .. p*ldb+32] + beta * C,
/// for 6 rows of op(A), element (r, p) at a[r*aRow + p*aDepth] (a packed strip: aRow 1, aDepth 6;
/// op(A) read in place: its strides), and B strips of 32 columns whose rows are `ldb` apart (32
/// when packed; B's row stride when read in place). All 32 columns of each B row are read; rows of
/// A past `rows` are not (the last row stands in for them). AVX-512, 12 zmm accumulators. With
/// beta == 0, C is not read.
void synapse_sgemm_6x32_avx512(long depth, const float *a, long aRow, long aDepth, const float *b, long ldb, float *c, long ldc,
                               long rows, long columns, float alpha, float beta);

/// The same for 8 rows of op(A) (AVX-512, 16 zmm accumulators): the recurrent layers' tile, whose
/// row blocks (a batch of 16 or 32 sequences split over the cores) are multiples of 8, not of 6.
void synapse_sgemm_8x32_avx512(long depth, const float *a, long aRow, long aDepth, const float *b, long ldb, float *c, long ldc,
                               long rows, long columns, float alpha, float beta);

/// The same with B strips of 16 columns (AVX2 + FMA, 12 ymm accumulators).
void synapse_sgemm_6x16_avx2(long depth, const float *a, long aRow, long aDepth, const float *b, long ldb, float *c, long ldc,
                             long rows, long columns, float alpha, float beta);

/// Runs `iterations` steps of 16 independent fused multiply-adds on the widest vectors the CPU
/// has (a measure of the machine's FLOP limit) and returns the number of float operations done.
double synapse_fma_peak(long iterations);

/// With glibc: serve blocks below 64 MB from the heap and keep up to 256 MB of freed heap, so the
/// same-sized tensors a training step frees and re-allocates cost no page faults. Elsewhere nothing.
void synapse_configure_allocator(void);

/// A task body: `function(context, task)`.
typedef void (*synapse_task_function)(void *context, long task);

/// Runs tasks 0..<tasks on up to `threads` threads (the caller and persistent pool threads), each
/// task exactly once; returns when all are done. Nested or concurrent calls run inline.
void synapse_parallel_for(long tasks, int threads, synapse_task_function function, void *context);

/// Elementwise float loops, compiled for AVX-512, AVX2 and baseline x86-64 (or the host's
/// default elsewhere) and chosen at load time. The arithmetic is exactly that of the scalar
/// definitions in `Kernels/Elementwise.swift` (no contraction into FMA), so results are identical
/// to the Swift loops.
enum synapse_unary {
    SYNAPSE_RELU = 0,          // x > 0 ? x : 0
    SYNAPSE_GREATER = 1,       // x > s ? 1 : 0
    SYNAPSE_TIMES = 2,         // x * s
    SYNAPSE_PLUS = 3,          // x + s
    SYNAPSE_NEGATE = 4,        // -x
    SYNAPSE_SQUARE = 5,        // x * x
    SYNAPSE_SUBTRACTED_FROM = 6, // s - x
    SYNAPSE_LEAKY_RELU = 7,    // x > 0 ? x : s * x
};
/// y[i] = op(x[i]) for i < n.
void synapse_map_f32(int op, const float *x, float *y, long n, float s);

/// out[j] = Σₚ x[p] · w[j·ldw + p] (+ out[j] when `accumulate`) for j < n: a row vector times the
/// transpose of a row-major matrix (a `Dense` layer at batch 1, its bias already in `out`).
/// Partial sums in vector lanes, combined in a fixed order.
void synapse_sdot_rows(const float *x, const float *w, long k, long n, long ldw, float *out, int accumulate);

/// c[i·ldc + j] = Σₚ a[i·lda + p] · b[j·ldb + p] for i < m, j < n: A times Bᵀ with both read along
/// their contiguous rows (a convolution's weight gradient, G' · columnsᵀ, whose inner dimension is
/// long and whose m and n are small). Tiles of 4 × 4 rows share each load: 16 vector accumulators.
void synapse_sgemm_nt_rows(const float *a, long lda, const float *b, long ldb, float *c, long ldc, long m, long n, long k);

/// Packs `rows × depth` of op(A) (element [i, p] at a[i·aRow + p·aColumn]) into strips of 6 rows:
/// strip r holds, for each p, the 6 values of rows 6r..6r+5 (zero past the last row).
void synapse_pack_a_f32(const float *a, long aRow, long aColumn, long rows, long depth, float *packed);

/// Packs `depth × n` of op(B) (element [p, j] at b[p·bRow + j·bColumn]) into strips of `nr` columns:
/// strip s holds, for each p, the nr values of columns nr·s.. (zero past n).
void synapse_pack_b_f32(const float *b, long bRow, long bColumn, long depth, long n, long nr, float *packed);

enum synapse_binary { SYNAPSE_ADD = 0, SYNAPSE_SUBTRACT = 1, SYNAPSE_MULTIPLY = 2, SYNAPSE_DIVIDE = 3 };
/// z[i] = x[i] op y[i] for i < n.
void synapse_combine_f32(int op, const float *x, const float *y, float *z, long n);
/// The backward of ReLU in one pass: dx[i] = g[i] where x[i] > 0, else 0 (PyTorch's threshold_backward).
void synapse_relu_backward_f32(const float *x, const float *g, float *dx, long n);
/// Max pooling of one plane over 2×2 windows at stride 2: y[oy, ox] = max(a, b, c, d) of the window's
/// rows (first maximum wins), its row-major index in the plane to `winners` (planes up to 2^31 values).
void synapse_max_pool_2x2_f32(const float *x, long width, long out_h, long out_w, float *y, int32_t *winners);

/// One Adam update without AMSGrad (the fast path of `Optimizers/Adam.swift`): decay = 1 − η·λ_decoupled (applied when
/// `decoupled` is nonzero), l2 = λ, c1 = 1 − β₁, c2 = 1 − β₂, step = η / (1 − β₁ᵗ), root = √(1 − β₂ᵗ).
void synapse_adam_f32(float *p, const float *g, float *m, float *v, long n, int decoupled, float decay,
                      float l2, float b1, float c1, float b2, float c2, float step, float root, float eps);

/// The thread-count override of `Parallel` (0: none), read and set atomically.
int synapse_thread_override(void);
/// Sets the thread-count override (0 clears it).
void synapse_set_thread_override(int threads);

/// The functions of `synapse_math_f32` (mathf.c).
enum synapse_math { SYNAPSE_MATH_EXP = 0, SYNAPSE_MATH_LOG = 1, SYNAPSE_MATH_TANH = 2, SYNAPSE_MATH_SIGMOID = 3 };

/// y[i] = f(x[i]) for f = e^x, ln x, tanh x or σ(x) over the whole float range, within 2 ulp of the
/// exact value, vectorised; `level` forces an instruction set (0 baseline, 1 AVX2, 2 AVX-512) when
/// the CPU has it, −1 takes the CPU's.
void synapse_math_f32(int op, const float *x, float *y, long n, int level);

/// The exact GELU in single precision: y[i] = x[i]·Φ(x[i]) (Φ the standard normal CDF, within 1e-7
/// of the true value). `level` is the
/// instruction set to use (2 AVX-512, 1 AVX2 + FMA, 0 baseline; lowered to what the CPU has), or
/// −1 for the CPU's own — tests force each path.
void synapse_gelu_forward_f32(const float *x, float *y, long n, int level);
/// The forward for training: y = x·Φ(x) and dydx = Φ(x) + x·φ(x) (the backward is then g·dydx,
/// without evaluating Φ a second time).
void synapse_gelu_forward_derivative_f32(const float *x, float *y, float *dydx, long n, int level);

/// Layer normalisation of `rows` rows of `n` floats: per row μ, r = 1/√(σ² + ε) (stored in `mean`,
/// `rstd`) and y = (x − μ)·r·w + b (`w`, `b` may be NULL: 1 and 0). Sums in 16 fixed partial sums.
void synapse_layer_norm_forward_f32(const float *x, const float *w, const float *b, float *y, float *mean, float *rstd,
                                    long rows, long n, float eps, int level);
/// Its backward for those rows: dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = w·g, x̂ = (x − μ)·r;
/// adds g·x̂ into `dw` and g into `db` (row by row, in order). `dx`, `w`, `dw`, `db` may be NULL.
void synapse_layer_norm_backward_f32(const float *x, const float *w, const float *g, const float *mean, const float *rstd,
                                     float *dx, float *dw, float *db, long rows, long n, int level);


/// The LSTM cell of one row for units u0..<u1 (`Autograd/Recurrent.swift`): the gate pre-activations
/// a (blocks i, f, g, o of H) become the activations; c = f·c₋₁ + i·g, tanhC = tanh(c), h = o·tanh(c).
void synapse_lstm_cell_forward_f32(float *a, long H, const float *cPrev, float *c, float *tanhC, float *h, long u0, long u1, int level);
/// Its backward: from the activations a, c₋₁, tanh(c), the output gradient gOut and the recurrent dh,
/// updates the carried dc (to dc₋₁ = dc·f) and writes the gate gradients dA (blocks of H); when db
/// is not NULL, also adds dA into it (the row's running sum over steps, for the bias gradient).
void synapse_lstm_cell_backward_f32(const float *a, long H, const float *cPrev, const float *tanhC, const float *gOut, const float *dh,
                                    float *dc, float *dA, float *db, long u0, long u1, int level);

/// The shape of a 2-D convolution of one sample (NCHW, stride 1 along the width) for the direct
/// kernels of convolution.c.
typedef struct {
    long channels, height, width;
    long out_channels, kernel_h, kernel_w;
    long stride_y, pad_y, pad_x, dilation_y, dilation_x;
    long out_h, out_w;
    long stride_x;  // 1 for the rows kernels (convolution.c); any for the flat ones
} synapse_conv_shape;

/// Whether the direct kernels are faster than im2col + GEMM on this CPU (it has vector FMA).
int synapse_conv2d_direct_pays(void);
/// Floats of scratch one call of the direct kernels needs (padded planes), at CPU level `level` (−1: this CPU's).
long synapse_conv2d_direct_scratch(const synapse_conv_shape *s, int level);
/// Floats of the packed weight (`[O/6][C][kh][kw][6]`).
long synapse_conv2d_packed_weight_size(const synapse_conv_shape *s);
/// Packs the weight `[O, C, kh, kw]` for ``synapse_conv2d_direct_forward_f32``.
void synapse_conv2d_pack_weight_f32(const synapse_conv_shape *s, const float *w, float *packed);
/// The row stride of the padded input planes at a CPU level.
long synapse_conv_row_stride(const synapse_conv_shape *s, int level);
/// The row stride of the padded output gradient at a CPU level.
long synapse_conv_gradient_row_stride(const synapse_conv_shape *s, int level);
/// One sample's convolution: y[o, p, q] = b[o] + Σ W[o, c, i, j]·x[c, p·sy − py + i·dy, q − px + j·dx]
/// (`bias` may be NULL). `y` is `[O, OH, OW]`.
void synapse_conv2d_direct_forward_f32(const synapse_conv_shape *s, const float *x, const float *packed, const float *bias,
                                       float *y, float *scratch, int level);
/// Adds one sample's weight gradient Σ_{p,q} g[o, p, q]·x[c, p·sy − py + i·dy, q − px + j·dx] into `dw` `[O, C, kh, kw]`.
void synapse_conv2d_direct_weight_gradient_f32(const synapse_conv_shape *s, const float *x, const float *g, float *dw,
                                               float *scratch, int level);

/// Floats of scratch one call of the flat-plane kernels (convolution_flat.c: any stride, any number of
/// channels) needs, at CPU level `level` (−1: this CPU's).
long synapse_conv2d_flat_scratch(const synapse_conv_shape *s, int level);
/// Floats of the flat kernels' packed weight at a CPU level (`[O/ob][C][kh][kw][ob]`).
long synapse_conv2d_flat_packed_weight_size(const synapse_conv_shape *s, int level);
/// Packs the weight `[O, C, kh, kw]` for ``synapse_conv2d_flat_forward_f32``; with `flipped`, `w` is
/// `[C, O, kh, kw]` read as W'[o, c, i, j] = w[c, o, kh−1−i, kw−1−j] (the input gradient's kernel).
void synapse_conv2d_flat_pack_weight_f32(const synapse_conv_shape *s, const float *w, int flipped, float *packed, int level);
/// One sample's convolution on flattened padded planes: y[o, p, q] = b[o] + Σ W[o, c, i, j]·x[c, p·sy − py + i·dy, q·sx − px + j·dx]
/// (`bias` may be NULL). `y` is `[O, OH, OW]`.
void synapse_conv2d_flat_forward_f32(const synapse_conv_shape *s, const float *x, const float *packed, const float *bias,
                                     float *y, float *scratch, int level);
/// How many samples one call of ``synapse_conv2d_flat_weight_gradient_f32`` takes at most (scratch grows with them).
long synapse_conv2d_flat_samples_per_call(const synapse_conv_shape *s, int level);
/// Adds the weight gradient of `samples` consecutive samples, Σ_{n,p,q} g[n, o, p, q]·x[n, c, p·sy − py + i·dy, q·sx − px + j·dx],
/// into `dw` `[O, C, kh, kw]`; `scratch` holds `samples` × ``synapse_conv2d_flat_scratch`` floats.
void synapse_conv2d_flat_weight_gradient_f32(const synapse_conv_shape *s, const float *x, const float *g, long samples, float *dw,
                                             float *scratch, int level);

#endif

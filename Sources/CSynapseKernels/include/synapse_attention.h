#ifndef SYNAPSE_ATTENTION_H
#define SYNAPSE_ATTENTION_H

/// The exponentials of fused attention's softmax tiles (`Kernels/AttentionKernels.swift`), in
/// single precision, compiled for AVX-512, AVX2 + FMA and baseline x86-64 and chosen at run time.

/// x[j] = exp(x[j] − shift) for j < n, in place (0 where x[j] − shift < −87, so −∞ gives 0), and
/// returns the sum of the new x[j] (16 partial sums combined in a fixed order).
/// exp is a degree-6 polynomial on the reduced argument (relative error ≈ 2e-7).
float synapse_attention_exp_row_f32(float *x, long n, float shift);

/// out = xᵀ: the `rows × columns` matrix x (rows `stride` apart) written as `columns × rows`,
/// contiguous — one head's keys or values turned so that the keys run along the rows. Blocks of
/// 16 rows; the next block's rows are prefetched while this one is written, so that their cache
/// misses (the keys of a head are short pieces of long rows) overlap.
void synapse_attention_transpose_f32(const float *x, long rows, long columns, long stride, float *out);

/// The sizes of one (batch, head) pair of attention: queries Tq, keys Tk, depth D of queries and
/// keys, depth Dv of values; query i sees key j when `causal` is 0 or j ≤ i + Tk − Tq.
typedef struct {
    long queries, keys, depth, value_depth;
    int causal;
    float scale;
} synapse_attention_shape;

/// The scalars of workspace the pair kernels below need for `shape` with the register tile
/// `kernel` (2: AVX-512 6 × 32, 1: AVX2 6 × 16), or −1 when they cannot run it (no such tile on
/// this build, or a depth that is not a multiple of the tile's width).
long synapse_attention_workspace_f32(const synapse_attention_shape *shape, int kernel);

/// Fused attention forward for one (batch, head) pair: O (rows `ldo` apart) and the log-sum-exp
/// of every query row (contiguous). Q, K, V rows are `ldq`, `ldk`, `ldv` apart. `work` holds
/// `synapse_attention_workspace_f32` scalars. Returns 1, or 0 (nothing done) when the shape or
/// kernel is not supported. The caller checks the CPU level before asking for a kernel.
int synapse_attention_forward_f32(const synapse_attention_shape *shape, int kernel, const float *q, long ldq, const float *k, long ldk,
                                  const float *v, long ldv, float *o, long ldo, float *lse, float *work);

/// Its backward: ∂L/∂Q, ∂L/∂K, ∂L/∂V from O, dO and the log-sum-exps, added into dq, dk, dv (each
/// may be NULL) when `accumulate` is nonzero, else written over them. Returns 1, or 0 (nothing
/// done) when the shape or kernel is not supported.
int synapse_attention_backward_f32(const synapse_attention_shape *shape, int kernel, const float *q, long ldq, const float *k, long ldk,
                                   const float *v, long ldv, const float *o, long ldo, const float *dout, long lddo, const float *lse,
                                   float *dq, long lddq, float *dk, long lddk, float *dv, long lddv, int accumulate, float *work);

#endif

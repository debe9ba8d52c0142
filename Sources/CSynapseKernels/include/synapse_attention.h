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

#endif

#ifndef SYNAPSE_ATTENTION_H
#define SYNAPSE_ATTENTION_H

/// The exponentials of fused attention's softmax tiles (`Kernels/AttentionKernels.swift`), in
/// single precision, compiled for AVX-512, AVX2 + FMA and baseline x86-64 and chosen at run time.

/// x[j] = exp(x[j] − shift) for j < n, in place (0 where x[j] − shift < −87, so −∞ gives 0), and
/// returns the sum of the new x[j] (16 partial sums combined in a fixed order).
/// exp is a degree-6 polynomial on the reduced argument (relative error ≈ 2e-7).
float synapse_attention_exp_row_f32(float *x, long n, float shift);

#endif

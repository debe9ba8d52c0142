#ifndef SYNAPSE_KERNELS_H
#define SYNAPSE_KERNELS_H

/// Register-tile micro-kernels for the GEMM that need instructions Swift cannot emit without
/// target flags (fused multiply-add on AVX2 / AVX-512). Each function is compiled for its
/// instruction set with a `target` attribute and is only called after the CPU is checked, so the
/// package builds and runs on any x86-64 (and any other architecture, where these return 0).

/// 2 when the CPU runs AVX-512F with FMA, 1 for AVX2 with FMA, 0 otherwise.
int synapse_cpu_level(void);

/// C[0..<rows, 0..<columns] = alpha * sum_p a[p*6 .. p*6+6] (outer) b[p*32 .. p*32+32] + beta * C,
/// for packed A strips of 6 rows and packed B strips of 32 columns (AVX-512, 12 zmm accumulators).
/// With beta == 0, C is not read.
void synapse_sgemm_6x32_avx512(long depth, const float *a, const float *b, float *c, long ldc,
                               long rows, long columns, float alpha, float beta);

/// The same with packed B strips of 16 columns (AVX2 + FMA, 12 ymm accumulators).
void synapse_sgemm_6x16_avx2(long depth, const float *a, const float *b, float *c, long ldc,
                             long rows, long columns, float alpha, float beta);

#endif

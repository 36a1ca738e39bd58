/*
 * Dense matrix product for the model runner's convolution, linear and matmul ops: C = op(A)·op(B),
 * row-major, op(X) = X or Xᵀ. op(A) is m×k (A stored m×k, or k×m when trans_a), op(B) is k×n
 * (B stored k×n, or n×k when trans_b), C is m×n and overwritten.
 *
 * Runs on OpenBLAS's cblas_?gemm, opened at run time (dlopen of libopenblas.so.0, first next to the
 * addon so an installer can bundle it, then the system's). The addon is compiled with NS_WITH_OPENBLAS
 * only when tools/build-native.mjs found OpenBLAS; either way it loads where OpenBLAS is missing and
 * ns_gemm_available() says 0 (the engine then multiplies in TypeScript).
 *
 * Same error convention as the other ABIs (normscope_abi.h): 0 or a negative NS_E* code, ns_last_error() names it.
 */
#ifndef NORMSCOPE_GEMM_H
#define NORMSCOPE_GEMM_H

#include "normscope_abi.h"

#define NS_ENOBLAS (-5) /* OpenBLAS is not loaded */

/* 1 when OpenBLAS is loaded (loads it on first call), else 0 with the reason in ns_last_error(). */
NS_API int ns_gemm_available(void);
/* OpenBLAS's thread count (its own pool); returns the count in effect, or NS_ENOBLAS. */
NS_API int ns_gemm_set_threads(int threads);
/* Dimensions must each be ≤ INT32_MAX (OpenBLAS's 32-bit blasint). */
NS_API int ns_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float *a, const float *b,
                       float *c);
NS_API int ns_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const double *a, const double *b,
                       double *c);

#endif

/*
 * NormScope BatchNorm kernels on host arrays: a plain C ABI, used by the Node-API addon (native/addon),
 * the WebAssembly module (native/wasm), the C++ test harness (native/test) and the GPU check
 * (native/gpu-check, through Python's ctypes). The same kernels on device buffers are in
 * normscope_device.h; the export macro and error codes in normscope_abi.h.
 *
 * Layout: an NC* contiguous tensor is seen as (N, C, S), S = product of the spatial dims; element
 * (n, c, s) sits at ((n*C + c)*S + s). Per-channel values (weight, bias, running stats, mean, invstd,
 * reductions) are double arrays of length C whatever the data type: the caller converts (C is small).
 * Nullable pointers: weight, bias, running_mean, running_var.
 *
 * Statistics are one pass: shifted sums Σ(x−K), Σ(x−K)² in double per block (K = a sample of the
 * channel, which removes the cancellation of the naive formula), merged across blocks with Chan's
 * parallel formula. Semantics match engine/backend/tsKernels.ts (the reference).
 *
 * Every function returns 0 on success or a negative NS_E* code; ns_last_error() (thread-local) names it.
 */
#ifndef NORMSCOPE_KERNELS_H
#define NORMSCOPE_KERNELS_H

#include "normscope_abi.h"

/* ---------------- CPU (persistent thread pool) ---------------- */

/* Sets the pool size (0 = NORMSCOPE_NUM_THREADS or the hardware concurrency). Returns the size. */
NS_API int ns_cpu_set_threads(int threads);
NS_API int ns_cpu_threads(void);
/* The instruction set the kernels dispatched to at run time: "avx2" or "baseline". */
NS_API const char *ns_cpu_isa(void);
/* memcpy spread over the pool: the bandwidth reference of the benchmarks. */
NS_API int ns_cpu_copy(void *dst, const void *src, size_t bytes);

#define NS_DECLARE_CPU(T, SUF)                                                                        \
  NS_API int ns_cpu_batch_stats_##SUF(const T *x, int64_t n, int64_t c, int64_t s, double *mean,       \
                                      double *var_biased);                                            \
  NS_API int ns_cpu_forward_train_##SUF(const T *x, T *y, int64_t n, int64_t c, int64_t s,             \
                                        const double *weight, const double *bias,                     \
                                        double *running_mean, double *running_var, double momentum,   \
                                        double eps, double *mean_out, double *invstd_out);            \
  NS_API int ns_cpu_forward_eval_##SUF(const T *x, T *y, int64_t n, int64_t c, int64_t s,              \
                                       const double *weight, const double *bias, const double *mean,  \
                                       const double *invstd);                                         \
  NS_API int ns_cpu_backward_reduce_##SUF(const T *dy, const T *x, int64_t n, int64_t c, int64_t s,    \
                                          const double *mean, double *sum_dy, double *sum_dy_xmu);    \
  NS_API int ns_cpu_backward_elemt_##SUF(const T *dy, const T *x, T *dx, int64_t n, int64_t c,         \
                                         int64_t s, const double *mean, const double *invstd,         \
                                         const double *weight, const double *sum_dy,                  \
                                         const double *sum_dy_xmu, double count);                     \
  NS_API int ns_cpu_backward_eval_elemt_##SUF(const T *dy, T *dx, int64_t n, int64_t c, int64_t s,     \
                                              const double *invstd, const double *weight);

NS_DECLARE_CPU(float, f32)
NS_DECLARE_CPU(double, f64)

/*
 * The host device's elementwise ops and losses (native/kernels/cpu_elementwise.cc), flat arrays of n
 * elements, bit-identical to engine/backend/hostKernels.ts: relu/relu_backward select x > 0 (NaN and
 * −0 give +0); scale multiplies in double; sum and mse accumulate in double in index order. The scalar
 * results (sum, mse_forward) go to out[0]; mse_backward reads g[0] and takes null gx or gt.
 */
#define NS_DECLARE_CPU_ELEMENTWISE(T, SUF)                                                              \
  NS_API int ns_cpu_relu_##SUF(const T *x, T *y, int64_t n);                                            \
  NS_API int ns_cpu_relu_backward_##SUF(const T *y, const T *dy, T *dx, int64_t n);                     \
  NS_API int ns_cpu_add_##SUF(const T *a, const T *b, T *out, int64_t n);                               \
  NS_API int ns_cpu_sub_##SUF(const T *a, const T *b, T *out, int64_t n);                               \
  NS_API int ns_cpu_mul_##SUF(const T *a, const T *b, T *out, int64_t n);                               \
  NS_API int ns_cpu_scale_##SUF(const T *a, double s, T *out, int64_t n);                               \
  NS_API int ns_cpu_sum_##SUF(const T *a, T *out, int64_t n);                                           \
  NS_API int ns_cpu_mse_forward_##SUF(const T *x, const T *t, T *out, int64_t n);                       \
  NS_API int ns_cpu_mse_backward_##SUF(const T *x, const T *t, const T *g, T *gx, T *gt, int64_t n);

NS_DECLARE_CPU_ELEMENTWISE(float, f32)
NS_DECLARE_CPU_ELEMENTWISE(double, f64)

/*
 * SyncBatchNorm's combine. `gathered` is world rows of [mean(C), invstd(C), count] (2C+1 values);
 * rows with count < 1 are masked out. Writes mean, invstd, the combined biased variance M2/n
 * (length C each; var_biased may be null) and the total count.
 */
NS_API int ns_gather_stats_with_counts(const double *gathered, int64_t world, int64_t c, double eps,
                                       double *mean, double *invstd, double *var_biased, double *total_count);

/* ---------------- CUDA (same semantics; host pointers, copied to and from the device) ---------------- */

/* 1 when the CUDA kernels were compiled in. */
NS_API int ns_cuda_compiled(void);
/*
 * Number of devices. On failure returns NS_ECUDA, stores cudaGetDeviceCount's cudaError_t in
 * *cuda_error (when non-null), and ns_last_error() holds cudaGetErrorString's text (e.g. "CUDA driver
 * version is insufficient for CUDA runtime version", "no CUDA-capable device is detected").
 */
NS_API int ns_cuda_device_count(int *cuda_error);
/* Name (NUL-terminated, truncated to name_len) and total memory of the current device. */
NS_API int ns_cuda_device_info(char *name, size_t name_len, uint64_t *total_mem, int *sm_count);

#define NS_DECLARE_CUDA(T, SUF)                                                                        \
  NS_API int ns_cuda_forward_train_##SUF(const T *x, T *y, int64_t n, int64_t c, int64_t s,             \
                                         const double *weight, const double *bias,                     \
                                         double *running_mean, double *running_var, double momentum,   \
                                         double eps, double *mean_out, double *invstd_out);            \
  NS_API int ns_cuda_batch_stats_##SUF(const T *x, int64_t n, int64_t c, int64_t s, double *mean,       \
                                       double *var_biased);                                            \
  NS_API int ns_cuda_forward_eval_##SUF(const T *x, T *y, int64_t n, int64_t c, int64_t s,              \
                                        const double *weight, const double *bias, const double *mean,  \
                                        const double *invstd);                                         \
  NS_API int ns_cuda_backward_reduce_##SUF(const T *dy, const T *x, int64_t n, int64_t c, int64_t s,    \
                                           const double *mean, double *sum_dy, double *sum_dy_xmu);    \
  NS_API int ns_cuda_backward_elemt_##SUF(const T *dy, const T *x, T *dx, int64_t n, int64_t c,         \
                                          int64_t s, const double *mean, const double *invstd,         \
                                          const double *weight, const double *sum_dy,                  \
                                          const double *sum_dy_xmu, double count);                     \
  NS_API int ns_cuda_backward_eval_elemt_##SUF(const T *dy, T *dx, int64_t n, int64_t c, int64_t s,     \
                                               const double *invstd, const double *weight);

NS_DECLARE_CUDA(float, f32)
NS_DECLARE_CUDA(double, f64)

#endif /* NORMSCOPE_KERNELS_H */

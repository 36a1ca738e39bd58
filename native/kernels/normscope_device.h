/*
 * NormScope ops on device buffers: every ns_cudadev_* entry point, the memory they live in and the
 * host boundary; what the engine needs to keep a layer stack's tensors on the GPU between steps (copy
 * only at the boundary: the input batch, the targets, scalars read by the caller). The BatchNorm ones
 * are implemented in native/kernels/cuda_kernels.cu (beside the host-array ns_cuda_* of
 * normscope_kernels.h, sharing their kernels), the rest in cuda_device.cu; compiled only with CUDA (the
 * addon binds these only when built with NS_WITH_CUDA).
 *
 * All T pointers are device memory holding contiguous float (f32) or double (f64) data. Sums
 * accumulate in double and round once to T, like the engine's TypeScript ops (engine/tensor/ops.ts,
 * engine/nn/functional/ and engine/optim/sgd.ts), which are the reference. Nullable pointers are marked. Every function
 * returns 0 or a negative NS_E* code (normscope_abi.h) with ns_last_error() set; launches are
 * asynchronous (no host synchronisation inside), errors from a kernel surface at the next synchronising
 * call (a download, or ns_cuda_sync).
 */
#ifndef NORMSCOPE_DEVICE_H
#define NORMSCOPE_DEVICE_H

#include "normscope_abi.h"

/* ---------------- memory: allocation and the host boundary ---------------- */

/* cudaMalloc (bytes 0 gives a null pointer and succeeds). */
NS_API int ns_cuda_alloc(void **ptr, size_t bytes);
NS_API int ns_cuda_release(void *ptr);
/* Host → device and device → host copies (synchronous); counted in the transfer statistics. */
NS_API int ns_cuda_upload(void *dst, const void *src, size_t bytes);
NS_API int ns_cuda_download(void *dst, const void *src, size_t bytes);
/* Device → device copy and zero fill (not counted: they never cross the bus). */
NS_API int ns_cuda_copy(void *dst, const void *src, size_t bytes);
NS_API int ns_cuda_zero(void *dst, size_t bytes);
/*
 * Bytes and calls that crossed the host boundary since the process started: out[0] host→device bytes,
 * out[1] host→device copies, out[2] device→host bytes, out[3] device→host copies. The host-pointer
 * BatchNorm API (ns_cuda_*) counts its staging copies here too.
 */
NS_API int ns_cuda_transfer_stats(uint64_t out[4]);
/* Waits for every launch so far (the benchmarks' timing point); a kernel's error surfaces here. */
NS_API int ns_cuda_sync(void);

/* float32 ↔ double for per-channel arrays (the BatchNorm ABI takes doubles); narrow rounds to nearest. */
NS_API int ns_cudadev_widen_f32(const float *src, double *dst, int64_t n);
NS_API int ns_cudadev_narrow_f32(const double *src, float *dst, int64_t n);

#define NS_DECLARE_DEVICE_OPS(T, SUF)                                                                  \
  /* BatchNorm: normscope_kernels.h's kernels with every pointer on the device (per-channel values     \
     are doubles there too; weight, bias, running_mean, running_var nullable). */                     \
  NS_API int ns_cudadev_forward_train_##SUF(const T *x, T *y, int64_t n, int64_t c, int64_t s,          \
                                            const double *weight, const double *bias,                  \
                                            double *running_mean, double *running_var,                 \
                                            double momentum, double eps, double *mean_out,             \
                                            double *invstd_out);                                       \
  NS_API int ns_cudadev_forward_eval_##SUF(const T *x, T *y, int64_t n, int64_t c, int64_t s,           \
                                           const double *weight, const double *bias,                   \
                                           const double *mean, const double *invstd);                  \
  NS_API int ns_cudadev_backward_reduce_##SUF(const T *dy, const T *x, int64_t n, int64_t c,            \
                                              int64_t s, const double *mean, double *sum_dy,           \
                                              double *sum_dy_xmu);                                     \
  NS_API int ns_cudadev_backward_elemt_##SUF(const T *dy, const T *x, T *dx, int64_t n, int64_t c,      \
                                             int64_t s, const double *mean, const double *invstd,      \
                                             const double *weight, const double *sum_dy,               \
                                             const double *sum_dy_xmu, double count);                  \
  NS_API int ns_cudadev_batch_stats_##SUF(const T *x, int64_t n, int64_t c, int64_t s, double *mean,    \
                                          double *var_biased);                                         \
  NS_API int ns_cudadev_backward_eval_elemt_##SUF(const T *dy, T *dx, int64_t n, int64_t c, int64_t s,  \
                                                  const double *invstd, const double *weight);         \
  /* Eval statistics: mean[c] = rm[c], invstd[c] = 1/sqrt(rv[c] + eps), in double. */                \
  NS_API int ns_cudadev_bn_eval_stats_##SUF(const T *rm, const T *rv, double eps, double *mean,         \
                                            double *invstd, int64_t c);                                \
  /* BatchNorm parameter grads: dw[c] = sum_dy_xmu[c]·invstd[c], db[c] = sum_dy[c] (each nullable). */ \
  NS_API int ns_cudadev_bn_param_grads_##SUF(const double *sum_dy, const double *sum_dy_xmu,            \
                                             const double *invstd, T *dw, T *db, int64_t c);           \
  /* Linear, x (rows, in), w (out, in), y (rows, out): y = x·wᵀ + b (b nullable). */                  \
  NS_API int ns_cudadev_linear_forward_##SUF(const T *x, const T *w, const T *b, T *y, int64_t rows,    \
                                             int64_t in, int64_t out);                                 \
  /* dx[r, k] = Σ_o dy[r, o]·w[o, k]. */                                                              \
  NS_API int ns_cudadev_linear_grad_input_##SUF(const T *dy, const T *w, T *dx, int64_t rows,           \
                                                int64_t in, int64_t out);                              \
  /* dw[o, k] = Σ_r dy[r, o]·x[r, k] and db[o] = Σ_r dy[r, o] (each nullable). */                     \
  NS_API int ns_cudadev_linear_grad_weight_##SUF(const T *dy, const T *x, T *dw, T *db, int64_t rows,   \
                                                 int64_t in, int64_t out);                             \
  /* Conv2d (groups 1, zero padding), x (n, c, h, w), weight (o, c, kh, kw), y (n, o, oh, ow):         \
     y[n,o,i,j] = b[o] + Σ_{c,p,q} x[n, c, i·sh+p−ph, j·sw+q−pw]·weight[o,c,p,q]. */                   \
  NS_API int ns_cudadev_conv2d_forward_##SUF(const T *x, const T *weight, const T *b, T *y,             \
                                             const int64_t dims[13]);                                  \
  NS_API int ns_cudadev_conv2d_grad_input_##SUF(const T *dy, const T *weight, T *dx,                   \
                                                const int64_t dims[13]);                               \
  NS_API int ns_cudadev_conv2d_grad_weight_##SUF(const T *dy, const T *x, T *dweight, T *db,            \
                                                 const int64_t dims[13]);                              \
  /* Elementwise over n values. out may alias an input. */                                             \
  NS_API int ns_cudadev_relu_##SUF(const T *x, T *y, int64_t n);                                        \
  /* dx = y > 0 ? dy : 0 (y is relu's output). */                                                      \
  NS_API int ns_cudadev_relu_backward_##SUF(const T *y, const T *dy, T *dx, int64_t n);                 \
  /* out = a + b, out = a − b, out = a·b, out = a·s. */                                                \
  NS_API int ns_cudadev_add_##SUF(const T *a, const T *b, T *out, int64_t n);                           \
  NS_API int ns_cudadev_sub_##SUF(const T *a, const T *b, T *out, int64_t n);                           \
  NS_API int ns_cudadev_mul_##SUF(const T *a, const T *b, T *out, int64_t n);                           \
  NS_API int ns_cudadev_scale_##SUF(const T *a, double s, T *out, int64_t n);                           \
  /* out[i] = scalar[0]·s for i < n (scalar: one device value; sum's and mean's backward). */         \
  NS_API int ns_cudadev_fill_from_##SUF(const T *scalar, double s, T *out, int64_t n);                  \
  /* out[0] = Σ a (double accumulation, one rounding). */                                              \
  NS_API int ns_cudadev_sum_##SUF(const T *a, T *out, int64_t n);                                       \
  /* MSE with mean reduction: out[0] = Σ(x − t)²/n. */                                                 \
  NS_API int ns_cudadev_mse_forward_##SUF(const T *x, const T *t, T *out, int64_t n);                   \
  /* k = 2·g[0]/n; gx = k·(x − t) and gt = −gx (gx, gt nullable). */                                  \
  NS_API int ns_cudadev_mse_backward_##SUF(const T *x, const T *t, const T *g, T *gx, T *gt, int64_t n); \
  /* Cross entropy, z (rows, classes) logits, target (rows) int64 in range (checked by the caller):   \
     probs = softmax(z) in double (rows·classes), out[0] = Σ_r (lse_r − z[r, t_r]) / rows. */         \
  NS_API int ns_cudadev_cross_entropy_forward_##SUF(const T *z, const int64_t *target, double *probs,   \
                                                    T *out, int64_t rows, int64_t classes);            \
  /* gz[r, c] = (g[0]/rows)·(probs[r, c] − [c == t_r]). */                                             \
  NS_API int ns_cudadev_cross_entropy_backward_##SUF(const double *probs, const int64_t *target,        \
                                                     const T *g, T *gz, int64_t rows, int64_t classes); \
  /* torch.optim.SGD's update for one parameter of n values (engine/optim/sgd.ts): in double,          \
     d = g + wd·w; with momentum: buf = first ? d : m·buf + (1 − damp)·d, d = nesterov ? d + m·buf : buf; \
     w = w − lr·d rounded to T. buf (double, n values) is nullable when momentum is 0. */              \
  NS_API int ns_cudadev_sgd_step_##SUF(T *w, const T *g, double *buf, int64_t n, double lr,             \
                                       double momentum, double dampening, double weight_decay,         \
                                       int nesterov, int first);                                      \
  /* The inspector's summary of n values, without downloading them (engine/inspect/summary.ts's     \
     summarizeFloat is the reference). out: 7 doubles on the device = [finite count, NaN count,      \
     ±inf count, min, max, mean, m2] over the finite values, where mean = Σv/count (0 when count is  \
     0), m2 = Σ(v−mean)² − (Σ(v−mean))²/count (the corrected two-pass formula; 0 when count is 0), min \
     = +inf and max = −inf when count is 0. Sums in double. */                                       \
  NS_API int ns_cudadev_summary_##SUF(const T *x, int64_t n, double *out);                              \
  /* Equal-width histogram of the finite values in [lo, hi] (engine/inspect/summary.ts's histogram): \
     bin = min(bins − 1, floor((v − lo)/width)) in double, values outside [lo, hi] skipped; width > 0   \
     is the caller's ((hi − lo)/bins, or 1 when hi == lo). counts: bins uint64 on the device,          \
     overwritten. */                                                                                  \
  NS_API int ns_cudadev_histogram_##SUF(const T *x, int64_t n, double lo, double hi, double width,      \
                                        int64_t bins, uint64_t *counts);

NS_DECLARE_DEVICE_OPS(float, f32)
NS_DECLARE_DEVICE_OPS(double, f64)

/* Conv2d's dims array (host memory): n, c, h, w, o, kh, kw, sh, sw, ph, pw, oh, ow. */
enum {
  NS_CONV_N, NS_CONV_C, NS_CONV_H, NS_CONV_W, NS_CONV_O, NS_CONV_KH, NS_CONV_KW,
  NS_CONV_SH, NS_CONV_SW, NS_CONV_PH, NS_CONV_PW, NS_CONV_OH, NS_CONV_OW
};

#endif /* NORMSCOPE_DEVICE_H */

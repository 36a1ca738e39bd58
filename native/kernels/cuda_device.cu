// Device-resident ops (normscope_device.h): memory and the host boundary (with process-wide transfer
// counters), linear, conv2d, elementwise ops, losses, SGD and the BatchNorm helpers the engine needs
// to keep a layer stack on the GPU, and the inspector's summary and histogram. Kernels are in
// cuda_device_kernels.cuh and cuda_inspect_kernels.cuh; this file checks arguments, picks launch
// shapes and reports errors like cuda_kernels.cu (a launch error becomes NS_ECUDA with CUDA's text;
// kernel faults surface at the next synchronising call).
//
// Launch shapes: grid-stride kernels take at most 32 blocks per multiprocessor (the loops cover the
// rest), per-output reductions at most that many blocks too, the GEMM at most the device's grid.y
// limit of tiles per dimension (asked of the device, so the emulator can lower it and run the tile
// loops on small matrices). Zero-size outputs return before any launch.
#include <cuda_runtime.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <mutex>

#include "cuda_transfer.h"
#include "normscope_device.h"
#include "ns_error.h"

// ---------------------------------------------------------------- transfer counters

namespace {
std::atomic<uint64_t> g_h2d_bytes{0}, g_h2d_calls{0}, g_d2h_bytes{0}, g_d2h_calls{0};
}  // namespace

namespace ns {
void count_upload(size_t bytes) {
  if (!bytes) return;
  g_h2d_bytes.fetch_add(bytes, std::memory_order_relaxed);
  g_h2d_calls.fetch_add(1, std::memory_order_relaxed);
}
void count_download(size_t bytes) {
  if (!bytes) return;
  g_d2h_bytes.fetch_add(bytes, std::memory_order_relaxed);
  g_d2h_calls.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace ns

namespace {

#include "cuda_device_kernels.cuh"
#include "cuda_inspect_kernels.cuh"

int cuda_fail(cudaError_t e, const char *what) {
  char msg[400];
  std::snprintf(msg, sizeof msg, "%s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
  cudaGetLastError();  // clear a sticky launch error where possible
  return ns::set_error(e == cudaErrorMemoryAllocation ? NS_ENOMEM : NS_ECUDA, msg);
}

int launched(const char *what) {
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? ns::clear_error() : cuda_fail(e, what);
}

int einval(const char *msg) { return ns::set_error(NS_EINVAL, msg); }

int device_attr(cudaDeviceAttr attr, int fallback) {
  int dev = 0, v = 0;
  if (cudaGetDevice(&dev) == cudaSuccess && cudaDeviceGetAttribute(&v, attr, dev) == cudaSuccess && v > 0) return v;
  cudaGetLastError();
  return fallback;
}

int64_t max_blocks() {
  static const int64_t v = 32LL * device_attr(cudaDevAttrMultiProcessorCount, 1);
  return v;
}
int64_t max_grid_y() {
  static const int64_t v = device_attr(cudaDevAttrMaxGridDimY, 65535);
  return v;
}

// Blocks for `work` items at `per_block` items per block pass, capped (grid-stride loops do the rest).
unsigned blocks_for(int64_t work, int64_t per_block = kBlock) {
  const int64_t b = (work + per_block - 1) / per_block;
  return (unsigned)(b < 1 ? 1 : (b > max_blocks() ? max_blocks() : b));
}

// a·b (and a·b·c…) without int64 overflow; false when it would overflow.
bool mul_ok(int64_t a, int64_t b, int64_t &r) { return !__builtin_mul_overflow(a, b, &r); }

// n ≥ 0 and, when n > 0, every pointer given non-null.
bool bad_n(int64_t n, std::initializer_list<const void *> ptrs, int &rc) {
  if (n < 0) return rc = einval("negative dimension"), true;
  if (n > 0)
    for (const void *p : ptrs)
      if (!p) return rc = einval("null device pointer"), true;
  return false;
}

// Partials of the two-pass reductions: one double per block of pass 1 (≤ max_blocks()).
std::mutex g_part_mu;
double *g_part = nullptr;
int64_t g_part_cap = 0;

double *partials(int64_t count, int &rc) {
  if (count > g_part_cap) {
    if (g_part) cudaFree(g_part);
    g_part = nullptr;
    g_part_cap = 0;
    const cudaError_t e = cudaMalloc((void **)&g_part, (size_t)count * sizeof(double));
    if (e != cudaSuccess) {
      g_part = nullptr;
      rc = cuda_fail(e, "cudaMalloc (reduction partials)");
      return nullptr;
    }
    g_part_cap = count;
  }
  rc = NS_OK;
  return g_part;
}

// out[0] = (Σ a, or Σ(a − b)²) / div, rounded once to T.
template <typename T, int OP>
int full_reduce(const T *a, const T *b, T *out, int64_t n, double div) {
  std::lock_guard<std::mutex> lk(g_part_mu);
  const unsigned blocks = blocks_for(n, 4 * kBlock);
  int rc;
  double *part = partials(blocks, rc);
  if (!part) return rc;
  partial_kernel<T, OP><<<blocks, kBlock>>>(a, b, n, part);
  if ((rc = launched("reduction kernel launch")) != NS_OK) return rc;
  finish_kernel<T><<<1, kBlock>>>(part, (int)blocks, div, out);
  return launched("reduction kernel launch");
}

// Writes one T value to device memory (the NaN of an empty mean), not counted: no data crosses.
template <typename T>
int set_scalar(T *out, double v) {
  const T t = (T)v;
  const cudaError_t e = cudaMemcpy(out, &t, sizeof(T), cudaMemcpyHostToDevice);
  return e == cudaSuccess ? ns::clear_error() : cuda_fail(e, "cudaMemcpy (scalar)");
}

template <typename T, int OP>
int ew(const T *a, const T *b, T *out, double s, int64_t n) {
  int rc;
  if (bad_n(n, {a, out}, rc) || ((OP == kAdd || OP == kSub || OP == kMul || OP == kReluBwd) && bad_n(n, {b}, rc)))
    return rc;
  if (n == 0) return ns::clear_error();
  ew_kernel<T, OP><<<blocks_for(n), kBlock>>>(a, b, out, s, n);
  return launched("elementwise kernel launch");
}

template <typename S, typename D>
int convert(const S *src, D *dst, int64_t n) {
  int rc;
  if (bad_n(n, {src, dst}, rc)) return rc;
  if (n == 0) return ns::clear_error();
  convert_kernel<S, D><<<blocks_for(n), kBlock>>>(src, dst, n);
  return launched("conversion kernel launch");
}

// ---------------- linear

template <typename T>
int gemm(const T *A, int64_t sam, int64_t sak, const T *B, int64_t sbk, int64_t sbn, const T *bias, T *C, int64_t M,
         int64_t N, int64_t K) {
  const int64_t tm = (M + kTile - 1) / kTile, tn = (N + kTile - 1) / kTile, lim = max_grid_y();
  const dim3 grid((unsigned)(tn < lim ? tn : lim), (unsigned)(tm < lim ? tm : lim));
  gemm_kernel<T><<<grid, kBlock>>>(A, sam, sak, B, sbk, sbn, bias, C, M, N, K);
  return launched("linear kernel launch");
}

bool bad_linear(int64_t rows, int64_t in, int64_t out, int &rc) {
  int64_t t;
  if (rows < 0 || in < 0 || out < 0) return rc = einval("negative dimension"), true;
  if (!mul_ok(rows, in, t) || !mul_ok(rows, out, t) || !mul_ok(in, out, t)) return rc = einval("tensor too large"), true;
  return false;
}

template <typename T>
int linear_forward(const T *x, const T *w, const T *b, T *y, int64_t rows, int64_t in, int64_t out) {
  int rc;
  if (bad_linear(rows, in, out, rc)) return rc;
  if (rows * out == 0) return ns::clear_error();
  if (!y || (in > 0 && (!x || !w))) return einval("null device pointer");
  return gemm<T>(x, in, 1, w, 1, in, b, y, rows, out, in);  // y[r, o] = Σ_k x[r, k]·w[o, k]
}

template <typename T>
int linear_grad_input(const T *dy, const T *w, T *dx, int64_t rows, int64_t in, int64_t out) {
  int rc;
  if (bad_linear(rows, in, out, rc)) return rc;
  if (rows * in == 0) return ns::clear_error();
  if (!dx || (out > 0 && (!dy || !w))) return einval("null device pointer");
  return gemm<T>(dy, out, 1, w, in, 1, nullptr, dx, rows, in, out);  // dx[r, k] = Σ_o dy[r, o]·w[o, k]
}

template <typename T>
int linear_grad_weight(const T *dy, const T *x, T *dw, T *db, int64_t rows, int64_t in, int64_t out) {
  int rc;
  if (bad_linear(rows, in, out, rc)) return rc;
  if (out == 0) return ns::clear_error();
  if (rows > 0 && (!dy || (dw && in > 0 && !x))) return einval("null device pointer");
  if (dw && in > 0 && (rc = gemm<T>(dy, 1, out, x, in, 1, nullptr, dw, out, in, rows)) != NS_OK) return rc;
  if (db) {
    chan_sum_kernel<T><<<blocks_for(out, 1), kBlock>>>(dy, rows, out, 1, db);  // db[o] = Σ_r dy[r, o]
    if ((rc = launched("linear bias-gradient kernel launch")) != NS_OK) return rc;
  }
  return ns::clear_error();
}

// ---------------- conv2d

bool bad_conv(const int64_t *dims, ConvDims &d, int &rc) {
  if (!dims) return rc = einval("null conv2d dims"), true;
  d = {dims[NS_CONV_N],  dims[NS_CONV_C],  dims[NS_CONV_H],  dims[NS_CONV_W],  dims[NS_CONV_O],
       dims[NS_CONV_KH], dims[NS_CONV_KW], dims[NS_CONV_SH], dims[NS_CONV_SW], dims[NS_CONV_PH],
       dims[NS_CONV_PW], dims[NS_CONV_OH], dims[NS_CONV_OW]};
  for (int i = 0; i < 13; i++)
    if (dims[i] < 0) return rc = einval("negative conv2d dimension"), true;
  if (d.sh < 1 || d.sw < 1) return rc = einval("conv2d stride must be positive"), true;
  const int64_t eh = d.h + 2 * d.ph - d.kh, ew = d.w + 2 * d.pw - d.kw;
  if (eh < 0 || ew < 0) return rc = einval("conv2d kernel larger than the padded input"), true;
  if (d.oh != eh / d.sh + 1 || d.ow != ew / d.sw + 1) return rc = einval("conv2d output size does not match"), true;
  int64_t t;
  if (!mul_ok(d.n, d.c, t) || !mul_ok(t, d.h, t) || !mul_ok(t, d.w, t) || !mul_ok(d.n, d.o, t) ||
      !mul_ok(t, d.oh, t) || !mul_ok(t, d.ow, t) || !mul_ok(d.o, d.c, t) || !mul_ok(t, d.kh, t) || !mul_ok(t, d.kw, t))
    return rc = einval("tensor too large"), true;
  return false;
}

template <typename T>
int conv_forward(const T *x, const T *w, const T *b, T *y, const int64_t *dims) {
  ConvDims d;
  int rc;
  if (bad_conv(dims, d, rc)) return rc;
  const int64_t total = d.n * d.o * d.oh * d.ow;
  if (total == 0) return ns::clear_error();
  if (!y || (d.c * d.kh * d.kw > 0 && (!x || !w))) return einval("null device pointer");
  conv_forward_kernel<T><<<blocks_for(total), kBlock>>>(x, w, b, y, d);
  return launched("conv2d kernel launch");
}

template <typename T>
int conv_grad_input(const T *dy, const T *w, T *dx, const int64_t *dims) {
  ConvDims d;
  int rc;
  if (bad_conv(dims, d, rc)) return rc;
  const int64_t total = d.n * d.c * d.h * d.w;
  if (total == 0) return ns::clear_error();
  if (!dx || (d.o * d.kh * d.kw > 0 && (!dy || !w))) return einval("null device pointer");
  conv_grad_input_kernel<T><<<blocks_for(total), kBlock>>>(dy, w, dx, d);
  return launched("conv2d input-gradient kernel launch");
}

template <typename T>
int conv_grad_weight(const T *dy, const T *x, T *dw, T *db, const int64_t *dims) {
  ConvDims d;
  int rc;
  if (bad_conv(dims, d, rc)) return rc;
  const int64_t wtotal = d.o * d.c * d.kh * d.kw;
  if (d.n * d.oh * d.ow > 0 && (!dy || (dw && wtotal > 0 && !x))) return einval("null device pointer");
  if (dw && wtotal > 0) {
    conv_grad_weight_kernel<T><<<blocks_for(wtotal, 1), kBlock>>>(dy, x, dw, d);
    if ((rc = launched("conv2d weight-gradient kernel launch")) != NS_OK) return rc;
  }
  if (db && d.o > 0) {
    chan_sum_kernel<T><<<blocks_for(d.o, 1), kBlock>>>(dy, d.n, d.o, d.oh * d.ow, db);
    if ((rc = launched("conv2d bias-gradient kernel launch")) != NS_OK) return rc;
  }
  return ns::clear_error();
}

// ---------------- losses, SGD, BatchNorm helpers

template <typename T>
int sum(const T *a, T *out, int64_t n) {
  int rc;
  if (bad_n(n, {a}, rc) || bad_n(1, {out}, rc)) return rc;
  if (n == 0) return set_scalar<T>(out, 0.0);
  return full_reduce<T, kRedSum>(a, nullptr, out, n, 1.0);
}

template <typename T>
int mse_forward(const T *x, const T *t, T *out, int64_t n) {
  int rc;
  if (bad_n(n, {x, t}, rc) || bad_n(1, {out}, rc)) return rc;
  if (n == 0) return set_scalar<T>(out, NAN);  // 0/0, as the TypeScript op
  return full_reduce<T, kRedSqDiff>(x, t, out, n, (double)n);
}

template <typename T>
int mse_backward(const T *x, const T *t, const T *g, T *gx, T *gt, int64_t n) {
  int rc;
  if (bad_n(n, {x, t, g}, rc)) return rc;
  if (n == 0 || (!gx && !gt)) return ns::clear_error();
  mse_backward_kernel<T><<<blocks_for(n), kBlock>>>(x, t, g, gx, gt, n);
  return launched("mse backward kernel launch");
}

template <typename T>
int ce_forward(const T *z, const int64_t *target, double *probs, T *out, int64_t rows, int64_t classes) {
  int rc;
  int64_t t;
  if (rows < 0 || classes < 0) return einval("negative dimension");
  if (!mul_ok(rows, classes, t)) return einval("tensor too large");
  if (!out) return einval("null device pointer");
  if (rows == 0) return set_scalar<T>(out, NAN);  // mean over no rows
  if (classes == 0) return einval("cross entropy needs at least one class");
  if (!z || !target || !probs) return einval("null device pointer");
  std::lock_guard<std::mutex> lk(g_part_mu);
  const unsigned blocks = blocks_for(rows, kBlock / 32);
  double *part = partials(blocks, rc);
  if (!part) return rc;
  ce_forward_kernel<T><<<blocks, kBlock>>>(z, target, probs, rows, classes, part);
  if ((rc = launched("cross entropy kernel launch")) != NS_OK) return rc;
  finish_kernel<T><<<1, kBlock>>>(part, (int)blocks, (double)rows, out);
  return launched("cross entropy kernel launch");
}

template <typename T>
int ce_backward(const double *probs, const int64_t *target, const T *g, T *gz, int64_t rows, int64_t classes) {
  int64_t n;
  if (rows < 0 || classes < 0) return einval("negative dimension");
  if (!mul_ok(rows, classes, n)) return einval("tensor too large");
  if (n == 0) return ns::clear_error();
  if (!probs || !target || !g || !gz) return einval("null device pointer");
  ce_backward_kernel<T><<<blocks_for(n), kBlock>>>(probs, target, g, gz, rows, classes);
  return launched("cross entropy backward kernel launch");
}

template <typename T>
int sgd_step(T *w, const T *g, double *buf, int64_t n, double lr, double momentum, double dampening,
             double weight_decay, int nesterov, int first) {
  int rc;
  if (bad_n(n, {w, g}, rc)) return rc;
  if (momentum != 0 && n > 0 && !buf) return einval("SGD with momentum needs a momentum buffer");
  if (n == 0) return ns::clear_error();
  sgd_kernel<T><<<blocks_for(n), kBlock>>>(w, g, buf, n, SgdArgs{lr, momentum, dampening, weight_decay, nesterov, first});
  return launched("SGD kernel launch");
}

template <typename T>
int bn_eval_stats(const T *rm, const T *rv, double eps, double *mean, double *invstd, int64_t c) {
  int rc;
  if (bad_n(c, {rm, rv, mean, invstd}, rc)) return rc;
  if (c == 0) return ns::clear_error();
  bn_eval_stats_kernel<T><<<blocks_for(c), kBlock>>>(rm, rv, eps, mean, invstd, c);
  return launched("BatchNorm eval-statistics kernel launch");
}

template <typename T>
int bn_param_grads(const double *sum_dy, const double *sum_dy_xmu, const double *invstd, T *dw, T *db, int64_t c) {
  int rc;
  if (bad_n(c, {}, rc)) return rc;
  if (c == 0 || (!dw && !db)) return ns::clear_error();
  if ((dw && (!sum_dy_xmu || !invstd)) || (db && !sum_dy)) return einval("null device pointer");
  bn_param_grads_kernel<T><<<blocks_for(c), kBlock>>>(sum_dy, sum_dy_xmu, invstd, dw, db, c);
  return launched("BatchNorm parameter-gradient kernel launch");
}

// ---------------- inspector: summary and histogram

// out[0..6] = finite count, NaN count, ±inf count, min, max, mean, m2 (normscope_device.h). Two
// two-pass reductions: counts/min/max/Σv (block partials, then one block that also writes the mean),
// then Σ(v − mean)² and Σ(v − mean) the same way; no atomics, so the result is deterministic.
template <typename T>
int summary(const T *x, int64_t n, double *out) {
  int rc;
  if (bad_n(n, {x}, rc) || bad_n(1, {out}, rc)) return rc;
  if (n == 0) {  // written from a host constant, not counted: no data crosses
    static const double empty[7] = {0, 0, 0, INFINITY, -INFINITY, 0, 0};
    const cudaError_t e = cudaMemcpy(out, empty, sizeof empty, cudaMemcpyHostToDevice);
    return e == cudaSuccess ? ns::clear_error() : cuda_fail(e, "cudaMemcpy (empty summary)");
  }
  std::lock_guard<std::mutex> lk(g_part_mu);
  const unsigned blocks = blocks_for(n, 4 * kBlock);
  double *part = partials((int64_t)kSummaryFields * blocks, rc);
  if (!part) return rc;
  summary_partial_kernel<T><<<blocks, kBlock>>>(x, n, part);
  if ((rc = launched("summary kernel launch")) != NS_OK) return rc;
  summary_finish_kernel<<<1, kBlock>>>(part, (int)blocks, out);
  if ((rc = launched("summary kernel launch")) != NS_OK) return rc;
  summary_m2_kernel<T><<<blocks, kBlock>>>(x, n, out, part);  // stream order: after the finish read part
  if ((rc = launched("summary kernel launch")) != NS_OK) return rc;
  summary_m2_finish_kernel<<<1, kBlock>>>(part, (int)blocks, out);
  return launched("summary kernel launch");
}

// counts[b] = number of finite v in [lo, hi] whose bin is b (hist_bin); counts zeroed first.
template <typename T>
int histogram(const T *x, int64_t n, double lo, double hi, double width, int64_t bins, uint64_t *counts) {
  int rc;
  if (bad_n(n, {x}, rc)) return rc;
  if (bins < 1) return einval("histogram needs at least one bin");
  if (!(width > 0) || width - width != 0) return einval("histogram bin width must be positive and finite");
  if (!counts) return einval("null device pointer");
  int64_t bytes;
  if (!mul_ok(bins, (int64_t)sizeof(uint64_t), bytes)) return einval("tensor too large");
  const cudaError_t e = cudaMemset(counts, 0, (size_t)bytes);
  if (e != cudaSuccess) return cuda_fail(e, "cudaMemset (histogram counts)");
  if (n == 0) return ns::clear_error();
  unsigned long long *c = reinterpret_cast<unsigned long long *>(counts);  // uint64_t may be unsigned long
  if (bins <= kSharedBins)
    histogram_shared_kernel<T><<<blocks_for(n, 4 * kBlock), kBlock>>>(x, n, lo, hi, width, (int)bins, c);
  else
    histogram_global_kernel<T><<<blocks_for(n), kBlock>>>(x, n, lo, hi, width, bins, c);
  return launched("histogram kernel launch");
}

}  // namespace

// ---------------------------------------------------------------- C ABI: memory

NS_API int ns_cuda_alloc(void **ptr, size_t bytes) {
  if (!ptr) return einval("null output pointer");
  *ptr = nullptr;
  if (bytes == 0) return ns::clear_error();
  const cudaError_t e = cudaMalloc(ptr, bytes);
  if (e != cudaSuccess) {
    *ptr = nullptr;
    return cuda_fail(e, "cudaMalloc");
  }
  return ns::clear_error();
}

NS_API int ns_cuda_release(void *ptr) {
  const cudaError_t e = ptr ? cudaFree(ptr) : cudaSuccess;
  return e == cudaSuccess ? ns::clear_error() : cuda_fail(e, "cudaFree");
}

NS_API int ns_cuda_upload(void *dst, const void *src, size_t bytes) {
  if (bytes == 0) return ns::clear_error();
  if (!dst || !src) return einval("null pointer");
  const cudaError_t e = cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice);
  if (e != cudaSuccess) return cuda_fail(e, "cudaMemcpy to device");
  ns::count_upload(bytes);
  return ns::clear_error();
}

NS_API int ns_cuda_download(void *dst, const void *src, size_t bytes) {
  if (bytes == 0) return ns::clear_error();
  if (!dst || !src) return einval("null pointer");
  const cudaError_t e = cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost);
  if (e != cudaSuccess) return cuda_fail(e, "cudaMemcpy to host");
  ns::count_download(bytes);
  return ns::clear_error();
}

NS_API int ns_cuda_copy(void *dst, const void *src, size_t bytes) {
  if (bytes == 0) return ns::clear_error();
  if (!dst || !src) return einval("null pointer");
  const cudaError_t e = cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice);
  return e == cudaSuccess ? ns::clear_error() : cuda_fail(e, "cudaMemcpy device to device");
}

NS_API int ns_cuda_zero(void *dst, size_t bytes) {
  if (bytes == 0) return ns::clear_error();
  if (!dst) return einval("null pointer");
  const cudaError_t e = cudaMemset(dst, 0, bytes);
  return e == cudaSuccess ? ns::clear_error() : cuda_fail(e, "cudaMemset");
}

NS_API int ns_cuda_transfer_stats(uint64_t out[4]) {
  if (!out) return einval("null output pointer");
  out[0] = g_h2d_bytes.load(std::memory_order_relaxed);
  out[1] = g_h2d_calls.load(std::memory_order_relaxed);
  out[2] = g_d2h_bytes.load(std::memory_order_relaxed);
  out[3] = g_d2h_calls.load(std::memory_order_relaxed);
  return ns::clear_error();
}

NS_API int ns_cudadev_widen_f32(const float *src, double *dst, int64_t n) { return convert<float, double>(src, dst, n); }
NS_API int ns_cudadev_narrow_f32(const double *src, float *dst, int64_t n) { return convert<double, float>(src, dst, n); }

// ---------------------------------------------------------------- C ABI: ops (batch_stats and
// backward_eval_elemt are in cuda_kernels.cu, next to the BatchNorm kernels they wrap)

#define NS_DEFINE_DEVICE_OPS(T, SUF)                                                                              \
  NS_API int ns_cudadev_bn_eval_stats_##SUF(const T *rm, const T *rv, double eps, double *mean, double *invstd,    \
                                            int64_t c) {                                                          \
    return bn_eval_stats<T>(rm, rv, eps, mean, invstd, c);                                                        \
  }                                                                                                               \
  NS_API int ns_cudadev_bn_param_grads_##SUF(const double *sum_dy, const double *sum_dy_xmu, const double *invstd, \
                                             T *dw, T *db, int64_t c) {                                           \
    return bn_param_grads<T>(sum_dy, sum_dy_xmu, invstd, dw, db, c);                                              \
  }                                                                                                               \
  NS_API int ns_cudadev_linear_forward_##SUF(const T *x, const T *w, const T *b, T *y, int64_t rows, int64_t in,   \
                                             int64_t out) {                                                       \
    return linear_forward<T>(x, w, b, y, rows, in, out);                                                          \
  }                                                                                                               \
  NS_API int ns_cudadev_linear_grad_input_##SUF(const T *dy, const T *w, T *dx, int64_t rows, int64_t in,          \
                                                int64_t out) {                                                    \
    return linear_grad_input<T>(dy, w, dx, rows, in, out);                                                        \
  }                                                                                                               \
  NS_API int ns_cudadev_linear_grad_weight_##SUF(const T *dy, const T *x, T *dw, T *db, int64_t rows, int64_t in,  \
                                                 int64_t out) {                                                   \
    return linear_grad_weight<T>(dy, x, dw, db, rows, in, out);                                                   \
  }                                                                                                               \
  NS_API int ns_cudadev_conv2d_forward_##SUF(const T *x, const T *weight, const T *b, T *y,                        \
                                             const int64_t dims[13]) {                                            \
    return conv_forward<T>(x, weight, b, y, dims);                                                                \
  }                                                                                                               \
  NS_API int ns_cudadev_conv2d_grad_input_##SUF(const T *dy, const T *weight, T *dx, const int64_t dims[13]) {     \
    return conv_grad_input<T>(dy, weight, dx, dims);                                                              \
  }                                                                                                               \
  NS_API int ns_cudadev_conv2d_grad_weight_##SUF(const T *dy, const T *x, T *dweight, T *db,                       \
                                                 const int64_t dims[13]) {                                        \
    return conv_grad_weight<T>(dy, x, dweight, db, dims);                                                         \
  }                                                                                                               \
  NS_API int ns_cudadev_relu_##SUF(const T *x, T *y, int64_t n) { return ew<T, kRelu>(x, nullptr, y, 0, n); }      \
  NS_API int ns_cudadev_relu_backward_##SUF(const T *y, const T *dy, T *dx, int64_t n) {                           \
    return ew<T, kReluBwd>(y, dy, dx, 0, n);                                                                      \
  }                                                                                                               \
  NS_API int ns_cudadev_add_##SUF(const T *a, const T *b, T *out, int64_t n) { return ew<T, kAdd>(a, b, out, 0, n); } \
  NS_API int ns_cudadev_sub_##SUF(const T *a, const T *b, T *out, int64_t n) { return ew<T, kSub>(a, b, out, 0, n); } \
  NS_API int ns_cudadev_mul_##SUF(const T *a, const T *b, T *out, int64_t n) { return ew<T, kMul>(a, b, out, 0, n); } \
  NS_API int ns_cudadev_scale_##SUF(const T *a, double s, T *out, int64_t n) {                                     \
    return ew<T, kScale>(a, nullptr, out, s, n);                                                                  \
  }                                                                                                               \
  NS_API int ns_cudadev_fill_from_##SUF(const T *scalar, double s, T *out, int64_t n) {                            \
    return ew<T, kFill>(scalar, nullptr, out, s, n);                                                              \
  }                                                                                                               \
  NS_API int ns_cudadev_sum_##SUF(const T *a, T *out, int64_t n) { return sum<T>(a, out, n); }                    \
  NS_API int ns_cudadev_mse_forward_##SUF(const T *x, const T *t, T *out, int64_t n) {                             \
    return mse_forward<T>(x, t, out, n);                                                                          \
  }                                                                                                               \
  NS_API int ns_cudadev_mse_backward_##SUF(const T *x, const T *t, const T *g, T *gx, T *gt, int64_t n) {          \
    return mse_backward<T>(x, t, g, gx, gt, n);                                                                   \
  }                                                                                                               \
  NS_API int ns_cudadev_cross_entropy_forward_##SUF(const T *z, const int64_t *target, double *probs, T *out,      \
                                                    int64_t rows, int64_t classes) {                              \
    return ce_forward<T>(z, target, probs, out, rows, classes);                                                   \
  }                                                                                                               \
  NS_API int ns_cudadev_cross_entropy_backward_##SUF(const double *probs, const int64_t *target, const T *g,      \
                                                     T *gz, int64_t rows, int64_t classes) {                      \
    return ce_backward<T>(probs, target, g, gz, rows, classes);                                                   \
  }                                                                                                               \
  NS_API int ns_cudadev_sgd_step_##SUF(T *w, const T *g, double *buf, int64_t n, double lr, double momentum,       \
                                       double dampening, double weight_decay, int nesterov, int first) {          \
    return sgd_step<T>(w, g, buf, n, lr, momentum, dampening, weight_decay, nesterov, first);                     \
  }                                                                                                               \
  NS_API int ns_cudadev_summary_##SUF(const T *x, int64_t n, double *out) { return summary<T>(x, n, out); }       \
  NS_API int ns_cudadev_histogram_##SUF(const T *x, int64_t n, double lo, double hi, double width, int64_t bins,  \
                                        uint64_t *counts) {                                                       \
    return histogram<T>(x, n, lo, hi, width, bins, counts);                                                       \
  }

NS_DEFINE_DEVICE_OPS(float, f32)
NS_DEFINE_DEVICE_OPS(double, f64)

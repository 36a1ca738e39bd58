// CUDA BatchNorm kernels behind two C ABIs: host arrays, like the CPU kernels (ns_cuda_*,
// normscope_kernels.h), and device buffers (ns_cudadev_* BatchNorm entry points, normscope_device.h).
//
// Reductions (statistics; backward Σdy, Σ(x−mean)·dy) launch a 2-D grid of channel tiles × slices, not
// one block per channel: with few channels (or few rows) many blocks still share each channel. Every
// thread sums its elements in fp32 for float32 input (double for float64): shifted sums Σ(x−K),
// Σ(x−K)² with K the channel's first element. Each block adds its threads' sums in double, writes a
// partial, and the last block of each channel (or channel group) to finish (atomic counter +
// threadfence) merges its partials and finalises: saved mean/invstd, running stats (unbiased variance),
// folded α/β. No second launch and no host round trip. Elementwise passes apply per-channel
// coefficients in T, four elements per thread with vector loads where S % 4 == 0.
//
// Two layouts: "plane" (S ≥ 256, or S ≥ 32 with S % 4 == 0: a block walks a contiguous range of one
// channel's N·S elements, four at a time where aligned) and "row" (other S < 256: 32 consecutive columns
// of a row × 8 rows per block, coalesced across channels; the first column of each channel in a tile
// folds that channel's columns into one partial).
//
// ns_cudadev_* take device pointers (used by native/gpu-check on torch tensors, and the seam for keeping
// tensors on the device); ns_cuda_* take host pointers and copy through grow-only device buffers.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "cuda_transfer.h"
#include "normscope_device.h"
#include "normscope_kernels.h"
#include "ns_error.h"

namespace {

#include "cuda_reduce.cuh"
#include "cuda_elementwise.cuh"

// ---------------------------------------------------------------- host side

std::mutex g_mu;  // the host-pointer API shares its buffers

struct Buf {
  void *p = nullptr;
  size_t cap = 0;
};

bool grow(Buf &b, size_t bytes, cudaError_t &err) {
  if (bytes <= b.cap) return true;
  if (b.p) cudaFree(b.p);
  b.p = nullptr;
  b.cap = 0;
  err = cudaMalloc(&b.p, bytes < 256 ? 256 : bytes);
  if (err != cudaSuccess) return false;
  b.cap = bytes < 256 ? 256 : bytes;
  return true;
}

// Device scratch for partials, counter and coefficients (device API), and host-API staging.
Buf g_part, g_counter, g_coef, g_x, g_y, g_dy, g_chan;
int g_sms = 0;
std::mutex g_scratch_mu;

int cuda_fail(cudaError_t e, const char *what) {
  char msg[400];
  std::snprintf(msg, sizeof msg, "%s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
  cudaGetLastError();  // clear a sticky launch error where possible
  return ns::set_error(NS_ECUDA, msg);
}

int sm_count() {
  if (g_sms > 0) return g_sms;
  int dev = 0, v = 0;
  if (cudaGetDevice(&dev) == cudaSuccess && cudaDeviceGetAttribute(&v, cudaDevAttrMultiProcessorCount, dev) == cudaSuccess)
    g_sms = v;
  return g_sms > 0 ? g_sms : 1;
}

// The grid's y limit (65535 on every GPU so far), asked of the device rather than assumed, so the
// emulator can lower it and exercise the plane kernel's loop over channel tiles with small grids.
int max_grid_y() {
  static int v = [] {
    int dev = 0, y = 0;
    if (cudaGetDevice(&dev) == cudaSuccess && cudaDeviceGetAttribute(&y, cudaDevAttrMaxGridDimY, dev) == cudaSuccess &&
        y > 0)
      return y;
    return 65535;
  }();
  return v;
}

int64_t clampi(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

bool aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }

// Launches one reduction (statistics or backward sums); the last block per channel (or channel group)
// merges and finalises.
template <typename T, int MODE>
int launch_reduce(const T *x, const T *dy, RedArgs a) {
  std::lock_guard<std::mutex> lk(g_scratch_mu);
  cudaError_t err = cudaSuccess;
  const int64_t C = a.c, S = a.s;
  const int64_t target = 8LL * sm_count();
  dim3 grid, block;
  int64_t parts, counters;
  const bool vec = S % 4 == 0 && aligned16(x) && (MODE == kStats || aligned16(dy));
  a.row = S < kRowCols || (S < kRowMaxS && !vec);
  if (a.row) {
    a.G = S <= kRowCols ? kRowCols / S : 1;
    a.tpg = (a.G * S + kRowCols - 1) / kRowCols;
    const int64_t groups = (C + a.G - 1) / a.G, bx = groups * a.tpg;
    if (bx > 2147483647LL) return ns::set_error(NS_EINVAL, "too many columns for the CUDA row kernel");
    a.slices = (int)clampi((target + bx - 1) / bx, 1, clampi((a.n + 4 * kRowRows - 1) / (4 * kRowRows), 1, 1024));
    grid = dim3((unsigned)bx, (unsigned)a.slices);
    block = dim3(kRowCols * kRowRows);
    parts = (int64_t)a.slices * bx * kRowCols;
    counters = groups;
  } else {
    const int64_t cy = clampi(C, 1, max_grid_y());
    a.slices = (int)clampi((target + cy - 1) / cy, 1, clampi(a.n * S / (8 * kThreads), 1, 1024));
    a.vec = vec;
    a.flatidx = vec && S < 4 * kThreads;
    grid = dim3((unsigned)a.slices, (unsigned)cy);
    block = dim3(kThreads);
    parts = C * a.slices;
    counters = C;
  }
  if (!grow(g_part, (size_t)parts * 2 * sizeof(double), err)) return cuda_fail(err, "cudaMalloc (partials)");
  // counters are zero between launches (each merger resets its own); zero newly grown space once
  const size_t cbytes = (size_t)counters * sizeof(unsigned);
  if (cbytes > g_counter.cap) {
    if (!grow(g_counter, cbytes, err)) return cuda_fail(err, "cudaMalloc (counters)");
    if ((err = cudaMemset(g_counter.p, 0, g_counter.cap)) != cudaSuccess) return cuda_fail(err, "cudaMemset");
  }
  a.p1 = (double *)g_part.p;
  a.p2 = a.p1 + parts;
  a.counter = (unsigned *)g_counter.p;
  if (a.row)
    reduce_row<T, MODE><<<grid, block>>>(x, dy, a);
  else
    reduce_plane<T, MODE><<<grid, block>>>(x, dy, a);
  if ((err = cudaGetLastError()) != cudaSuccess) return cuda_fail(err, "reduction kernel launch");
  return NS_OK;
}

template <typename T, int MODE>
int launch_elem(const T *a, const T *b, T *out, int64_t n, int64_t C, int64_t S, const double *k0, const double *k1,
                const double *k2, const double *k3) {
  const int64_t total = n * C * S;
  if (total == 0) return NS_OK;
  if (S % 4 == 0 && aligned16(a) && aligned16(out) && (!b || aligned16(b))) {
    const int64_t blocks = (total / 4 + kThreads - 1) / kThreads;
    if (blocks > 2147483647LL) return ns::set_error(NS_EINVAL, "tensor too large for the CUDA elementwise kernel");
    elem_vec4<T, MODE><<<(unsigned)blocks, kThreads>>>(a, b, out, total, C, S, k0, k1, k2, k3);
  } else if (S >= 1024) {
    const int64_t chunks = (S + 4 * kThreads - 1) / (4 * kThreads);
    const int64_t blocks = n * C * chunks;
    if (blocks > 2147483647LL) return ns::set_error(NS_EINVAL, "tensor too large for the CUDA elementwise kernel");
    elem_plane<T, MODE><<<(unsigned)blocks, kThreads>>>(a, b, out, C, S, chunks, k0, k1, k2, k3);
  } else {
    const int64_t blocks = clampi((total + kThreads - 1) / kThreads, 1, 32LL * sm_count());
    elem_flat<T, MODE><<<(unsigned)blocks, kThreads>>>(a, b, out, total, C, S, k0, k1, k2, k3);
  }
  cudaError_t err = cudaGetLastError();
  return err == cudaSuccess ? NS_OK : cuda_fail(err, "elementwise kernel launch");
}

// Device coefficient scratch: 3 arrays of C doubles.
double *coef_scratch(int64_t C, int &rc) {
  std::lock_guard<std::mutex> lk(g_scratch_mu);
  cudaError_t err = cudaSuccess;
  if (!grow(g_coef, (size_t)(3 * C) * sizeof(double), err)) {
    rc = cuda_fail(err, "cudaMalloc (coefficients)");
    return nullptr;
  }
  rc = NS_OK;
  return (double *)g_coef.p;
}

bool bad_dims(int64_t n, int64_t c, int64_t s) {
  if (n < 0 || c < 0 || s < 0) return ns::set_error(NS_EINVAL, "negative dimension"), true;
  if (c > 0 && s > 0 && n > INT64_MAX / c / s) return ns::set_error(NS_EINVAL, "tensor too large"), true;
  return false;
}

// ---------------- device-pointer API bodies

template <typename T>
int dev_stats(const T *x, int64_t n, int64_t c, int64_t s, double *mean, double *var) {
  RedArgs a = {};
  a.n = n;
  a.c = c;
  a.s = s;
  a.fin = kFinStats;
  a.o1 = mean;
  a.o2 = var;
  return launch_reduce<T, kStats>(x, nullptr, a);
}

// dev_stats with host_stats's checks and empty cases (zeros), for the device-pointer ABI.
template <typename T>
int dev_batch_stats(const T *x, int64_t n, int64_t c, int64_t s, double *mean, double *var) {
  if (bad_dims(n, c, s)) return NS_EINVAL;
  if (c == 0) return ns::clear_error();
  if (n * s == 0) {
    cudaError_t err = cudaMemset(mean, 0, (size_t)c * sizeof(double));
    if (err == cudaSuccess) err = cudaMemset(var, 0, (size_t)c * sizeof(double));
    return err == cudaSuccess ? ns::clear_error() : cuda_fail(err, "cudaMemset");
  }
  const int rc = dev_stats<T>(x, n, c, s, mean, var);
  return rc == NS_OK ? ns::clear_error() : rc;
}

template <typename T>
int dev_train(const T *x, T *y, int64_t n, int64_t c, int64_t s, const double *w, const double *b, double *rm,
              double *rv, double mom, double eps, double *mean_out, double *invstd_out) {
  if (bad_dims(n, c, s)) return NS_EINVAL;
  if (c == 0) return ns::clear_error();
  int rc;
  double *coef = coef_scratch(c, rc);
  if (!coef) return rc;
  if (n * s == 0) {
    coef_kernel<<<(unsigned)((c + 255) / 256), 256>>>(kCoefEmpty, c, nullptr, nullptr, nullptr, nullptr, nullptr,
                                                      nullptr, 0, eps, mean_out, invstd_out, nullptr);
    cudaError_t err = cudaGetLastError();
    return err == cudaSuccess ? ns::clear_error() : cuda_fail(err, "coefficient kernel launch");
  }
  RedArgs a = {};
  a.n = n;
  a.c = c;
  a.s = s;
  a.fin = kFinTrain;
  a.o1 = mean_out;
  a.o2 = invstd_out;
  a.w = w;
  a.b = b;
  a.rm = rm;
  a.rv = rv;
  a.mom = mom;
  a.eps = eps;
  a.alpha = coef;
  a.beta = coef + c;
  if ((rc = launch_reduce<T, kStats>(x, nullptr, a)) != NS_OK) return rc;
  if ((rc = launch_elem<T, kAffine>(x, nullptr, y, n, c, s, coef, coef + c, nullptr, nullptr)) != NS_OK) return rc;
  return ns::clear_error();
}

template <typename T>
int dev_eval(const T *x, T *y, int64_t n, int64_t c, int64_t s, const double *w, const double *b, const double *mean,
             const double *invstd) {
  if (bad_dims(n, c, s)) return NS_EINVAL;
  if (n * c * s == 0) return ns::clear_error();
  int rc;
  double *coef = coef_scratch(c, rc);
  if (!coef) return rc;
  coef_kernel<<<(unsigned)((c + 255) / 256), 256>>>(kCoefAffine, c, mean, invstd, w, b, nullptr, nullptr, 0, 0, coef,
                                                    coef + c, nullptr);
  if ((rc = launch_elem<T, kAffine>(x, nullptr, y, n, c, s, coef, coef + c, nullptr, nullptr)) != NS_OK) return rc;
  return ns::clear_error();
}

template <typename T>
int dev_reduce(const T *dy, const T *x, int64_t n, int64_t c, int64_t s, const double *mean, double *sum_dy,
               double *sum_dy_xmu) {
  if (bad_dims(n, c, s)) return NS_EINVAL;
  if (c == 0) return ns::clear_error();
  if (n * s == 0) {
    cudaMemset(sum_dy, 0, (size_t)c * sizeof(double));
    cudaMemset(sum_dy_xmu, 0, (size_t)c * sizeof(double));
    return ns::clear_error();
  }
  RedArgs a = {};
  a.n = n;
  a.c = c;
  a.s = s;
  a.fin = kFinDot;
  a.mean_in = mean;
  a.o1 = sum_dy;
  a.o2 = sum_dy_xmu;
  int rc = launch_reduce<T, kDot>(x, dy, a);
  return rc == NS_OK ? ns::clear_error() : rc;
}

template <typename T>
int dev_elemt(const T *dy, const T *x, T *dx, int64_t n, int64_t c, int64_t s, const double *mean,
              const double *invstd, const double *w, const double *sum_dy, const double *sum_dy_xmu, double count) {
  if (bad_dims(n, c, s)) return NS_EINVAL;
  if (n * c * s == 0) return ns::clear_error();
  int rc;
  double *coef = coef_scratch(c, rc);
  if (!coef) return rc;
  coef_kernel<<<(unsigned)((c + 255) / 256), 256>>>(kCoefBwd, c, mean, invstd, w, nullptr, sum_dy, sum_dy_xmu, count,
                                                    0, coef, coef + c, coef + 2 * c);
  if ((rc = launch_elem<T, kBwd>(dy, x, dx, n, c, s, coef, mean, coef + c, coef + 2 * c)) != NS_OK) return rc;
  return ns::clear_error();
}

template <typename T>
int dev_eval_elemt(const T *dy, T *dx, int64_t n, int64_t c, int64_t s, const double *invstd, const double *w) {
  if (bad_dims(n, c, s)) return NS_EINVAL;
  if (n * c * s == 0) return ns::clear_error();
  int rc;
  double *coef = coef_scratch(c, rc);
  if (!coef) return rc;
  coef_kernel<<<(unsigned)((c + 255) / 256), 256>>>(kCoefScale, c, nullptr, invstd, w, nullptr, nullptr, nullptr, 0, 0,
                                                    coef, nullptr, nullptr);
  if ((rc = launch_elem<T, kScale>(dy, nullptr, dx, n, c, s, coef, nullptr, nullptr, nullptr)) != NS_OK) return rc;
  return ns::clear_error();
}

// ---------------- host-pointer API: stage through device buffers

struct Stage {
  int rc = NS_OK;
  cudaError_t err = cudaSuccess;
  bool up(Buf &b, const void *src, size_t bytes, const char *what) {
    if (rc != NS_OK) return false;
    if (!grow(b, bytes, err)) return rc = cuda_fail(err, what), false;
    if (src && bytes) {
      if ((err = cudaMemcpy(b.p, src, bytes, cudaMemcpyHostToDevice)) != cudaSuccess)
        return rc = cuda_fail(err, "cudaMemcpy to device"), false;
      ns::count_upload(bytes);
    }
    return true;
  }
  bool down(void *dst, const void *src, size_t bytes) {
    if (rc != NS_OK) return false;
    if (dst && bytes) {
      if ((err = cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost)) != cudaSuccess)
        return rc = cuda_fail(err, "cudaMemcpy to host"), false;
      ns::count_download(bytes);
    }
    return true;
  }
};

// Packs up to 8 per-channel host arrays (null allowed) into one device buffer; returns device pointers.
struct ChanPack {
  double *dev[8] = {};
  int rc = NS_OK;
  ChanPack(int64_t c, std::initializer_list<const double *> host) {
    Stage st;
    const size_t one = (size_t)c * sizeof(double);
    if (!st.up(g_chan, nullptr, one * 8, "cudaMalloc (per-channel arrays)")) {
      rc = st.rc;
      return;
    }
    int i = 0;
    for (const double *h : host) {
      double *d = (double *)g_chan.p + (size_t)i * c;
      dev[i] = h ? d : nullptr;
      if (h && c) {
        if ((st.err = cudaMemcpy(d, h, one, cudaMemcpyHostToDevice)) != cudaSuccess) {
          rc = cuda_fail(st.err, "cudaMemcpy to device");
          return;
        }
        ns::count_upload(one);
      }
      i++;
    }
  }
  // A slot used for output only.
  double *out(int i, int64_t c) { return (double *)g_chan.p + (size_t)i * c; }
};

template <typename T>
int host_train(const T *x, T *y, int64_t n, int64_t c, int64_t s, const double *w, const double *b, double *rm,
               double *rv, double mom, double eps, double *mean_out, double *invstd_out) {
  if (bad_dims(n, c, s)) return NS_EINVAL;
  std::lock_guard<std::mutex> lk(g_mu);
  const size_t bytes = (size_t)(n * c * s) * sizeof(T), cb = (size_t)c * sizeof(double);
  Stage st;
  if (!st.up(g_x, x, bytes, "cudaMalloc (x)") || !st.up(g_y, nullptr, bytes, "cudaMalloc (y)")) return st.rc;
  ChanPack cp(c, {w, b, rm, rv});
  if (cp.rc != NS_OK) return cp.rc;
  int rc = dev_train<T>((const T *)g_x.p, (T *)g_y.p, n, c, s, cp.dev[0], cp.dev[1], cp.dev[2], cp.dev[3], mom, eps,
                        cp.out(4, c), cp.out(5, c));
  if (rc != NS_OK) return rc;
  st.down(y, g_y.p, bytes);
  if (rm) st.down(rm, cp.dev[2], cb);
  if (rv) st.down(rv, cp.dev[3], cb);
  st.down(mean_out, cp.out(4, c), cb);
  st.down(invstd_out, cp.out(5, c), cb);
  return st.rc == NS_OK ? ns::clear_error() : st.rc;
}

template <typename T>
int host_stats(const T *x, int64_t n, int64_t c, int64_t s, double *mean, double *var) {
  if (bad_dims(n, c, s)) return NS_EINVAL;
  std::lock_guard<std::mutex> lk(g_mu);
  if (n * s == 0 || c == 0) {
    for (int64_t ch = 0; ch < c; ch++) mean[ch] = var[ch] = 0;
    return ns::clear_error();
  }
  const size_t bytes = (size_t)(n * c * s) * sizeof(T), cb = (size_t)c * sizeof(double);
  Stage st;
  if (!st.up(g_x, x, bytes, "cudaMalloc (x)")) return st.rc;
  ChanPack cp(c, {});
  if (cp.rc != NS_OK) return cp.rc;
  int rc = dev_stats<T>((const T *)g_x.p, n, c, s, cp.out(0, c), cp.out(1, c));
  if (rc != NS_OK) return rc;
  st.down(mean, cp.out(0, c), cb);
  st.down(var, cp.out(1, c), cb);
  return st.rc == NS_OK ? ns::clear_error() : st.rc;
}

template <typename T>
int host_eval(const T *x, T *y, int64_t n, int64_t c, int64_t s, const double *w, const double *b, const double *mean,
              const double *invstd) {
  if (bad_dims(n, c, s)) return NS_EINVAL;
  std::lock_guard<std::mutex> lk(g_mu);
  if (n * c * s == 0) return ns::clear_error();
  const size_t bytes = (size_t)(n * c * s) * sizeof(T);
  Stage st;
  if (!st.up(g_x, x, bytes, "cudaMalloc (x)") || !st.up(g_y, nullptr, bytes, "cudaMalloc (y)")) return st.rc;
  ChanPack cp(c, {w, b, mean, invstd});
  if (cp.rc != NS_OK) return cp.rc;
  int rc = dev_eval<T>((const T *)g_x.p, (T *)g_y.p, n, c, s, cp.dev[0], cp.dev[1], cp.dev[2], cp.dev[3]);
  if (rc != NS_OK) return rc;
  st.down(y, g_y.p, bytes);
  return st.rc == NS_OK ? ns::clear_error() : st.rc;
}

template <typename T>
int host_reduce(const T *dy, const T *x, int64_t n, int64_t c, int64_t s, const double *mean, double *sum_dy,
                double *sum_dy_xmu) {
  if (bad_dims(n, c, s)) return NS_EINVAL;
  std::lock_guard<std::mutex> lk(g_mu);
  if (n * s == 0 || c == 0) {
    for (int64_t ch = 0; ch < c; ch++) sum_dy[ch] = sum_dy_xmu[ch] = 0;
    return ns::clear_error();
  }
  const size_t bytes = (size_t)(n * c * s) * sizeof(T), cb = (size_t)c * sizeof(double);
  Stage st;
  if (!st.up(g_x, x, bytes, "cudaMalloc (x)") || !st.up(g_dy, dy, bytes, "cudaMalloc (dy)")) return st.rc;
  ChanPack cp(c, {mean});
  if (cp.rc != NS_OK) return cp.rc;
  int rc = dev_reduce<T>((const T *)g_dy.p, (const T *)g_x.p, n, c, s, cp.dev[0], cp.out(1, c), cp.out(2, c));
  if (rc != NS_OK) return rc;
  st.down(sum_dy, cp.out(1, c), cb);
  st.down(sum_dy_xmu, cp.out(2, c), cb);
  return st.rc == NS_OK ? ns::clear_error() : st.rc;
}

template <typename T>
int host_elemt(const T *dy, const T *x, T *dx, int64_t n, int64_t c, int64_t s, const double *mean,
               const double *invstd, const double *w, const double *sum_dy, const double *sum_dy_xmu, double count) {
  if (bad_dims(n, c, s)) return NS_EINVAL;
  std::lock_guard<std::mutex> lk(g_mu);
  if (n * c * s == 0) return ns::clear_error();
  const size_t bytes = (size_t)(n * c * s) * sizeof(T);
  Stage st;
  if (!st.up(g_x, x, bytes, "cudaMalloc (x)") || !st.up(g_dy, dy, bytes, "cudaMalloc (dy)") ||
      !st.up(g_y, nullptr, bytes, "cudaMalloc (dx)"))
    return st.rc;
  ChanPack cp(c, {mean, invstd, w, sum_dy, sum_dy_xmu});
  if (cp.rc != NS_OK) return cp.rc;
  int rc = dev_elemt<T>((const T *)g_dy.p, (const T *)g_x.p, (T *)g_y.p, n, c, s, cp.dev[0], cp.dev[1], cp.dev[2],
                        cp.dev[3], cp.dev[4], count);
  if (rc != NS_OK) return rc;
  st.down(dx, g_y.p, bytes);
  return st.rc == NS_OK ? ns::clear_error() : st.rc;
}

template <typename T>
int host_eval_elemt(const T *dy, T *dx, int64_t n, int64_t c, int64_t s, const double *invstd, const double *w) {
  if (bad_dims(n, c, s)) return NS_EINVAL;
  std::lock_guard<std::mutex> lk(g_mu);
  if (n * c * s == 0) return ns::clear_error();
  const size_t bytes = (size_t)(n * c * s) * sizeof(T);
  Stage st;
  if (!st.up(g_dy, dy, bytes, "cudaMalloc (dy)") || !st.up(g_y, nullptr, bytes, "cudaMalloc (dx)")) return st.rc;
  ChanPack cp(c, {invstd, w});
  if (cp.rc != NS_OK) return cp.rc;
  int rc = dev_eval_elemt<T>((const T *)g_dy.p, (T *)g_y.p, n, c, s, cp.dev[0], cp.dev[1]);
  if (rc != NS_OK) return rc;
  st.down(dx, g_y.p, bytes);
  return st.rc == NS_OK ? ns::clear_error() : st.rc;
}

}  // namespace

// ---------------------------------------------------------------- C ABI

NS_API int ns_cuda_compiled(void) { return 1; }

NS_API int ns_cuda_device_count(int *cuda_error) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (cuda_error) *cuda_error = (int)e;
  if (e != cudaSuccess) {
    ns::set_error(NS_ECUDA, cudaGetErrorString(e));
    cudaGetLastError();
    return NS_ECUDA;
  }
  ns::clear_error();
  return count;
}

NS_API int ns_cuda_device_info(char *name, size_t name_len, uint64_t *total_mem, int *sm_count_out) {
  int dev = 0;
  cudaDeviceProp prop;
  cudaError_t e = cudaGetDevice(&dev);
  if (e == cudaSuccess) e = cudaGetDeviceProperties(&prop, dev);
  if (e != cudaSuccess) return cuda_fail(e, "cudaGetDeviceProperties");
  if (name && name_len) {
    std::strncpy(name, prop.name, name_len - 1);
    name[name_len - 1] = '\0';
  }
  if (total_mem) *total_mem = (uint64_t)prop.totalGlobalMem;
  if (sm_count_out) *sm_count_out = prop.multiProcessorCount;
  return ns::clear_error();
}

NS_API int ns_cuda_sync(void) {
  cudaError_t e = cudaDeviceSynchronize();
  return e == cudaSuccess ? ns::clear_error() : cuda_fail(e, "cudaDeviceSynchronize");
}

#define NS_DEFINE_CUDA(T, SUF)                                                                                    \
  NS_API int ns_cuda_batch_stats_##SUF(const T *x, int64_t n, int64_t c, int64_t s, double *mean, double *var) {   \
    return host_stats<T>(x, n, c, s, mean, var);                                                                  \
  }                                                                                                               \
  NS_API int ns_cuda_forward_train_##SUF(const T *x, T *y, int64_t n, int64_t c, int64_t s, const double *w,       \
                                         const double *b, double *rm, double *rv, double mom, double eps,          \
                                         double *mean_out, double *invstd_out) {                                  \
    return host_train<T>(x, y, n, c, s, w, b, rm, rv, mom, eps, mean_out, invstd_out);                            \
  }                                                                                                               \
  NS_API int ns_cuda_forward_eval_##SUF(const T *x, T *y, int64_t n, int64_t c, int64_t s, const double *w,        \
                                        const double *b, const double *mean, const double *invstd) {              \
    return host_eval<T>(x, y, n, c, s, w, b, mean, invstd);                                                       \
  }                                                                                                               \
  NS_API int ns_cuda_backward_reduce_##SUF(const T *dy, const T *x, int64_t n, int64_t c, int64_t s,               \
                                           const double *mean, double *sum_dy, double *sum_dy_xmu) {              \
    return host_reduce<T>(dy, x, n, c, s, mean, sum_dy, sum_dy_xmu);                                              \
  }                                                                                                               \
  NS_API int ns_cuda_backward_elemt_##SUF(const T *dy, const T *x, T *dx, int64_t n, int64_t c, int64_t s,         \
                                          const double *mean, const double *invstd, const double *w,              \
                                          const double *sum_dy, const double *sum_dy_xmu, double count) {         \
    return host_elemt<T>(dy, x, dx, n, c, s, mean, invstd, w, sum_dy, sum_dy_xmu, count);                         \
  }                                                                                                               \
  NS_API int ns_cuda_backward_eval_elemt_##SUF(const T *dy, T *dx, int64_t n, int64_t c, int64_t s,                \
                                               const double *invstd, const double *w) {                           \
    return host_eval_elemt<T>(dy, dx, n, c, s, invstd, w);                                                        \
  }                                                                                                               \
  NS_API int ns_cudadev_forward_train_##SUF(const T *x, T *y, int64_t n, int64_t c, int64_t s, const double *w,    \
                                            const double *b, double *rm, double *rv, double mom, double eps,       \
                                            double *mean_out, double *invstd_out) {                               \
    return dev_train<T>(x, y, n, c, s, w, b, rm, rv, mom, eps, mean_out, invstd_out);                             \
  }                                                                                                               \
  NS_API int ns_cudadev_forward_eval_##SUF(const T *x, T *y, int64_t n, int64_t c, int64_t s, const double *w,     \
                                           const double *b, const double *mean, const double *invstd) {           \
    return dev_eval<T>(x, y, n, c, s, w, b, mean, invstd);                                                        \
  }                                                                                                               \
  NS_API int ns_cudadev_backward_reduce_##SUF(const T *dy, const T *x, int64_t n, int64_t c, int64_t s,            \
                                              const double *mean, double *sum_dy, double *sum_dy_xmu) {           \
    return dev_reduce<T>(dy, x, n, c, s, mean, sum_dy, sum_dy_xmu);                                               \
  }                                                                                                               \
  NS_API int ns_cudadev_backward_elemt_##SUF(const T *dy, const T *x, T *dx, int64_t n, int64_t c, int64_t s,      \
                                             const double *mean, const double *invstd, const double *w,           \
                                             const double *sum_dy, const double *sum_dy_xmu, double count) {      \
    return dev_elemt<T>(dy, x, dx, n, c, s, mean, invstd, w, sum_dy, sum_dy_xmu, count);                          \
  }                                                                                                               \
  NS_API int ns_cudadev_batch_stats_##SUF(const T *x, int64_t n, int64_t c, int64_t s, double *mean,               \
                                          double *var_biased) {                                                  \
    return dev_batch_stats<T>(x, n, c, s, mean, var_biased);                                                      \
  }                                                                                                               \
  NS_API int ns_cudadev_backward_eval_elemt_##SUF(const T *dy, T *dx, int64_t n, int64_t c, int64_t s,             \
                                                  const double *invstd, const double *weight) {                   \
    return dev_eval_elemt<T>(dy, dx, n, c, s, invstd, weight);                                                    \
  }

NS_DEFINE_CUDA(float, f32)
NS_DEFINE_CUDA(double, f64)

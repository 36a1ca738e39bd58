// The host device's elementwise kernels and losses on the CPU (normscope_kernels.h, "elementwise"):
// the same arithmetic as engine/backend/hostKernels.ts (the TypeScript reference), so results are
// bit-identical to it:
//  - relu / relu_backward select (x > 0 ? x : +0): NaN and −0 give +0, as the reference's comparison.
//  - add/sub/mul of two floats in float: JavaScript computes them in double and rounds to float, which
//    gives the same float (double has more than 2·24+2 bits, so the double rounding is exact).
//  - scale multiplies by a double factor in double and rounds, as the reference's number arithmetic.
//  - mse and sum accumulate in double in index order, one chain: the reference's order, so the same
//    bits (a split or vector accumulation would round differently).
// The maps (everything but the two sums) are independent per element: they are split into chunks over
// the thread pool for large n, each chunk a plain loop the compiler vectorises.
#include <cstdint>

#include "normscope_kernels.h"
#include "ns_error.h"
#include "thread_pool.h"

namespace {

// Elements per pool task; maps below 2 chunks run inline (the pool's hand-off costs more than it saves).
constexpr int64_t kChunk = 1 << 16;

template <typename Body>
struct MapJob {
  Body body;
  int64_t n;
};

template <typename Body>
void map_task(void *ctx, int64_t t) {
  auto &j = *static_cast<MapJob<Body> *>(ctx);
  const int64_t lo = t * kChunk, hi = lo + kChunk < j.n ? lo + kChunk : j.n;
  j.body(lo, hi);
}

// Runs body(lo, hi) over [0, n) in chunks, on the pool when n spans several chunks.
template <typename Body>
void map(int64_t n, Body body) {
  if (n <= 0) return;
  MapJob<Body> j{body, n};
  ns::pool_run((n + kChunk - 1) / kChunk, &map_task<Body>, &j, n >= 2 * kChunk);
}

int bad_n(int64_t n) { return n < 0 ? ns::set_error(NS_EINVAL, "elementwise: n must be non-negative") : NS_OK; }

template <typename T>
int relu(const T *x, T *y, int64_t n) {
  if (int rc = bad_n(n)) return rc;
  map(n, [=](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) y[i] = x[i] > T(0) ? x[i] : T(0);
  });
  return ns::clear_error();
}

template <typename T>
int relu_backward(const T *y, const T *dy, T *dx, int64_t n) {
  if (int rc = bad_n(n)) return rc;
  map(n, [=](int64_t lo, int64_t hi) {
    // dy is read unconditionally: a conditional load keeps the loop scalar
    for (int64_t i = lo; i < hi; i++) {
      const T g = dy[i];
      dx[i] = y[i] > T(0) ? g : T(0);
    }
  });
  return ns::clear_error();
}

template <typename T, typename Op>
int binary(const T *a, const T *b, T *out, int64_t n, Op op) {
  if (int rc = bad_n(n)) return rc;
  map(n, [=](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) out[i] = op(a[i], b[i]);
  });
  return ns::clear_error();
}

template <typename T>
int scale(const T *a, double s, T *out, int64_t n) {
  if (int rc = bad_n(n)) return rc;
  map(n, [=](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) out[i] = (T)((double)a[i] * s);
  });
  return ns::clear_error();
}

template <typename T>
int sum(const T *a, T *out, int64_t n) {
  if (int rc = bad_n(n)) return rc;
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += (double)a[i];
  out[0] = (T)s;
  return ns::clear_error();
}

template <typename T>
int mse_forward(const T *x, const T *t, T *out, int64_t n) {
  if (int rc = bad_n(n)) return rc;
  double s = 0;
  for (int64_t i = 0; i < n; i++) {
    const double d = (double)x[i] - (double)t[i];
    s += d * d;
  }
  out[0] = (T)(s / (double)n);
  return ns::clear_error();
}

// gx = 2·g·(x − t)/n and gt = −gx, in double before the store; gx or gt may be null.
template <typename T>
int mse_backward(const T *x, const T *t, const T *g, T *gx, T *gt, int64_t n) {
  if (int rc = bad_n(n)) return rc;
  const double k = (2.0 * (double)g[0]) / (double)n;
  map(n, [=](int64_t lo, int64_t hi) {
    if (gx && gt)
      for (int64_t i = lo; i < hi; i++) {
        const double v = k * ((double)x[i] - (double)t[i]);
        gx[i] = (T)v;
        gt[i] = (T)-v;
      }
    else if (gx)
      for (int64_t i = lo; i < hi; i++) gx[i] = (T)(k * ((double)x[i] - (double)t[i]));
    else if (gt)
      for (int64_t i = lo; i < hi; i++) gt[i] = (T)-(k * ((double)x[i] - (double)t[i]));
  });
  return ns::clear_error();
}

}  // namespace

#define NS_DEFINE_ELEMENTWISE(T, SUF)                                                                        \
  NS_API int ns_cpu_relu_##SUF(const T *x, T *y, int64_t n) { return relu<T>(x, y, n); }                   \
  NS_API int ns_cpu_relu_backward_##SUF(const T *y, const T *dy, T *dx, int64_t n) {                       \
    return relu_backward<T>(y, dy, dx, n);                                                                 \
  }                                                                                                        \
  NS_API int ns_cpu_add_##SUF(const T *a, const T *b, T *out, int64_t n) {                                 \
    return binary<T>(a, b, out, n, [](T p, T q) { return p + q; });                                       \
  }                                                                                                        \
  NS_API int ns_cpu_sub_##SUF(const T *a, const T *b, T *out, int64_t n) {                                 \
    return binary<T>(a, b, out, n, [](T p, T q) { return p - q; });                                       \
  }                                                                                                        \
  NS_API int ns_cpu_mul_##SUF(const T *a, const T *b, T *out, int64_t n) {                                 \
    return binary<T>(a, b, out, n, [](T p, T q) { return p * q; });                                       \
  }                                                                                                        \
  NS_API int ns_cpu_scale_##SUF(const T *a, double s, T *out, int64_t n) { return scale<T>(a, s, out, n); } \
  NS_API int ns_cpu_sum_##SUF(const T *a, T *out, int64_t n) { return sum<T>(a, out, n); }                 \
  NS_API int ns_cpu_mse_forward_##SUF(const T *x, const T *t, T *out, int64_t n) {                         \
    return mse_forward<T>(x, t, out, n);                                                                   \
  }                                                                                                        \
  NS_API int ns_cpu_mse_backward_##SUF(const T *x, const T *t, const T *g, T *gx, T *gt, int64_t n) {      \
    return mse_backward<T>(x, t, g, gx, gt, n);                                                            \
  }

NS_DEFINE_ELEMENTWISE(float, f32)
NS_DEFINE_ELEMENTWISE(double, f64)

// The parts of the elementwise kernels (native/kernels/cpu_elementwise.cc) that cannot run piece by
// piece as they are, for the WebAssembly backend, which streams large arrays through its linear memory
// in pieces (engine/backend/wasmElementwise.ts):
//  - sum and mse_forward accumulate in double in index order, one chain (the reference's order and
//    bits). Per-piece partial sums added afterwards would round differently, so these take the running
//    sum of the pieces before and return it continued: called on consecutive pieces, the chain is the
//    one-call chain exactly. The caller divides by n (mse) and stores the result.
//  - mse_backward derives its factor k = 2·g/n from the whole n, which a piece does not know, so this
//    one takes k (computed by the caller exactly as the reference does: (2·g[0])/n in double).
#include <cstdint>

#include "../kernels/normscope_abi.h"

namespace {

template <typename T>
double sum_from(const T *a, int64_t n, double s) {
  for (int64_t i = 0; i < n; i++) s += (double)a[i];
  return s;
}

template <typename T>
double sq_diff_sum_from(const T *x, const T *t, int64_t n, double s) {
  for (int64_t i = 0; i < n; i++) {
    const double d = (double)x[i] - (double)t[i];
    s += d * d;
  }
  return s;
}

// gx = k·(x − t) and gt = −gx, in double before the store; gx or gt may be null.
template <typename T>
void mse_backward_k(const T *x, const T *t, double k, T *gx, T *gt, int64_t n) {
  if (gx && gt)
    for (int64_t i = 0; i < n; i++) {
      const double v = k * ((double)x[i] - (double)t[i]);
      gx[i] = (T)v;
      gt[i] = (T)-v;
    }
  else if (gx)
    for (int64_t i = 0; i < n; i++) gx[i] = (T)(k * ((double)x[i] - (double)t[i]));
  else if (gt)
    for (int64_t i = 0; i < n; i++) gt[i] = (T)-(k * ((double)x[i] - (double)t[i]));
}

}  // namespace

#define NS_DEFINE_WASM_STREAM(T, SUF)                                                                    \
  NS_API double ns_wasm_sum_from_##SUF(const T *a, int64_t n, double s) { return sum_from<T>(a, n, s); } \
  NS_API double ns_wasm_sq_diff_sum_from_##SUF(const T *x, const T *t, int64_t n, double s) {           \
    return sq_diff_sum_from<T>(x, t, n, s);                                                             \
  }                                                                                                     \
  NS_API int ns_wasm_mse_backward_k_##SUF(const T *x, const T *t, double k, T *gx, T *gt, int64_t n) {  \
    if (n < 0) return NS_EINVAL;                                                                        \
    mse_backward_k<T>(x, t, k, gx, gt, n);                                                              \
    return NS_OK;                                                                                       \
  }

NS_DEFINE_WASM_STREAM(float, f32)
NS_DEFINE_WASM_STREAM(double, f64)

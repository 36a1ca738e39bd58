// The CPU kernels' C ABI: argument checks, work plans, per-channel finalisation, and run-time dispatch
// between a baseline x86-64 build and an AVX2+FMA build of the same kernel bodies
// (cpu_kernels_impl.inc). The addon is shipped, so it is compiled for a portable baseline; the AVX2
// copy is chosen only when the CPU reports AVX2 and FMA.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "normscope_kernels.h"
#include "ns_error.h"
#include "thread_pool.h"

#if defined(__x86_64__) || defined(__SSE2__)
#include <immintrin.h>
#define NS_HAVE_STREAM 1
#else
#define NS_HAVE_STREAM 0
#endif

namespace ns {

// Row plans (S < kRowSmallS) keep one accumulator per column of a channel block; a block spans at most
// kRowWidth columns so the accumulators live on the stack (≤ 48 KiB per task, within the 4 MiB stacks
// of Node's worker threads).
static const int64_t kRowWidth = 1024;
static const int64_t kRowSmallS = 16;
// Below this many elements a call runs on the calling thread only. Waking a sleeping pool thread costs
// 10–60 µs here; the pool's short spin after each job (thread_pool.cc) makes back-to-back calls cheap,
// and from about 128 Ki elements two threads beat one on every kernel but forward-train of row plans.
static const int64_t kParallelMin = 1 << 17;

// Outputs at least this large (bytes) are written with streaming stores (NORMSCOPE_STREAM_MIN_BYTES
// overrides; the tests set 0 to cover that path on small tensors).
static int64_t stream_min_bytes() {
  static const int64_t v = [] {
    const char *e = std::getenv("NORMSCOPE_STREAM_MIN_BYTES");
    return e && *e ? (int64_t)std::atoll(e) : (int64_t)64 << 20;
  }();
  return v;
}

struct Plan {
  int64_t cper, cblocks, rper, rblocks;
  bool row, parallel;
  bool stream;  // streaming stores in plane-plan elementwise passes
  bool flat;    // plane plan of an elementwise pass: tasks are ranges of planes in memory order
};

struct Moments {
  double n, mean, m2;
};

// Chan's parallel merge of (nb, meanb, m2b) into a.
static inline void chan_merge(Moments &a, double nb, double meanb, double m2b) {
  if (nb == 0) return;
  double tot = a.n + nb, delta = meanb - a.mean;
  a.mean += delta * nb / tot;
  a.m2 += m2b + delta * delta * a.n * nb / tot;
  a.n = tot;
}

// part is [rblocks × C]; afterwards part[0 .. C) holds each channel's merged moments.
static inline void merge_row_blocks(Moments *part, int64_t c, int64_t rblocks) {
  for (int64_t rb = 1; rb < rblocks; rb++) {
    for (int64_t ch = 0; ch < c; ch++) {
      const Moments &o = part[rb * c + ch];
      chan_merge(part[ch], o.n, o.mean, o.m2);
    }
  }
}

struct TrainParams {
  double count;
  const double *w, *b;
  double *rm, *rv;
  double mom, eps;
  double *mean_out, *invstd_out, *alpha, *beta;
};

// Batch statistics of channels [c0, c1) → saved mean/invstd, running-stat update (unbiased variance),
// folded α/β. Everything the loops read is copied into locals first: through `tp` the compiler must
// assume each store may change tp's own fields, and reloaded them and redid count/(count−1) per
// channel, which kept the divisions and the square root serial (a quarter of a (256, 1024) train call).
static inline void finalize_train(const TrainParams &tp, const Moments *m, int64_t c0, int64_t c1) {
  const double count = tp.count, mom = tp.mom, keep = 1 - tp.mom, eps = tp.eps;
  const double unbias = count / (count - 1);
  const double *__restrict w = tp.w, *__restrict b = tp.b;
  double *__restrict mean_out = tp.mean_out, *__restrict inv_out = tp.invstd_out;
  double *__restrict alpha = tp.alpha, *__restrict beta = tp.beta;
  for (int64_t ch = c0; ch < c1; ch++) {
    mean_out[ch] = m[ch].mean;
    inv_out[ch] = 1.0 / std::sqrt(m[ch].m2 / count + eps);
  }
  // α, β in a loop of their own over plain arrays, one per affine case (GCC left the combined loop
  // scalar once w and b were read through conditionals).
  if (w && b)
    for (int64_t ch = c0; ch < c1; ch++) alpha[ch] = inv_out[ch] * w[ch], beta[ch] = b[ch] - mean_out[ch] * alpha[ch];
  else if (w)
    for (int64_t ch = c0; ch < c1; ch++) alpha[ch] = inv_out[ch] * w[ch], beta[ch] = 0.0 - mean_out[ch] * alpha[ch];
  else if (b)
    for (int64_t ch = c0; ch < c1; ch++) alpha[ch] = inv_out[ch], beta[ch] = b[ch] - mean_out[ch] * inv_out[ch];
  else
    for (int64_t ch = c0; ch < c1; ch++) alpha[ch] = inv_out[ch], beta[ch] = 0.0 - mean_out[ch] * inv_out[ch];
  if (double *__restrict rm = tp.rm)
    for (int64_t ch = c0; ch < c1; ch++) rm[ch] = mom * m[ch].mean + keep * rm[ch];
  if (double *__restrict rv = tp.rv)
    for (int64_t ch = c0; ch < c1; ch++) rv[ch] = mom * (m[ch].m2 / count) * unbias + keep * rv[ch];
}

namespace base {
#include "cpu_kernels_impl.inc"
}  // namespace base

#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#define NS_HAVE_AVX2 1
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define NS_ISA_AVX2 1  // GCC's target pragma does not define __AVX2__; the bodies test this instead
namespace avx2 {
#include "cpu_kernels_impl.inc"
}  // namespace avx2
#undef NS_ISA_AVX2
#pragma GCC pop_options
#endif

static bool use_avx2() {
#ifdef NS_HAVE_AVX2
  // NORMSCOPE_CPU_ISA=baseline forces the portable build (tests run both).
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                          !(std::getenv("NORMSCOPE_CPU_ISA") && std::strcmp(std::getenv("NORMSCOPE_CPU_ISA"), "baseline") == 0);
  return yes;
#else
  return false;
#endif
}

static Plan make_plan(int64_t n, int64_t c, int64_t s, int64_t elem_size) {
  const int64_t T = pool_threads();
  Plan p;
  p.row = s < kRowSmallS;
  p.stream = NS_HAVE_STREAM && !p.row && n * c * s * elem_size >= stream_min_bytes();
  // Plane plans walk memory in order (ranges of planes per task), for statistics too: per-plane
  // moments merged per channel afterwards. Channel-major walks (one channel's planes, C·S apart) ran
  // 2–3× slower than memory order on the 2-core benchmark machine.
  p.flat = !p.row;
  p.parallel = T > 1 && n * c * s >= kParallelMin;
  if (p.flat) {  // contiguous runs of planes: each thread walks its own region of memory
    const int64_t planes = n * c;
    int64_t tasks = p.parallel ? 4 * T : 1;
    if (tasks > planes) tasks = planes > 0 ? planes : 1;
    p.cper = c;
    p.cblocks = 1;
    p.rper = (planes + tasks - 1) / tasks;
    if (p.rper < 1) p.rper = 1;
    p.rblocks = (planes + p.rper - 1) / p.rper;
    return p;
  }
  // Row plans take blocks as wide as the stack accumulators allow: a block narrower than a row walks
  // each row in pieces a page or more apart, which the prefetcher follows poorly (a (256, 1024) pass ran
  // 1.6–2.5× slower in 256-column blocks than in whole rows). Threads then split the rows instead.
  p.cper = kRowWidth / s;
  p.cblocks = (c + p.cper - 1) / p.cper;
  p.rblocks = 1;
  p.rper = n;
  if (p.parallel && p.cblocks < 2 * T && n > 1) {  // too few channel blocks: split the batch too
    // One row block per thread: each block costs a pass over its per-column sums and a merge, which
    // outweighed finer load balance (2 per thread ran (256, 1024) 12–15% slower).
    int64_t rb = T / p.cblocks;
    if (rb < 1) rb = 1;
    if (rb > n) rb = n;
    p.rper = (n + rb - 1) / rb;
    p.rblocks = (n + p.rper - 1) / p.rper;
  }
  return p;
}

static bool check_dims(int64_t n, int64_t c, int64_t s) {
  if (n < 0 || c < 0 || s < 0) return set_error(NS_EINVAL, "negative dimension"), false;
  if (c > 0 && s > 0 && n > INT64_MAX / c / s) return set_error(NS_EINVAL, "tensor too large"), false;
  return true;
}

#ifdef NS_HAVE_AVX2
#define NS_DISPATCH(fn, ...) (use_avx2() ? avx2::fn(__VA_ARGS__) : base::fn(__VA_ARGS__))
#else  // no AVX2 copy in this build (clang, other architectures, the WebAssembly build in native/wasm)
#define NS_DISPATCH(fn, ...) base::fn(__VA_ARGS__)
#endif
#define NS_GUARD_BEGIN try {
#define NS_GUARD_END                                                   \
  }                                                                    \
  catch (const std::bad_alloc &) {                                     \
    return set_error(NS_ENOMEM, "out of memory for kernel scratch");   \
  }

template <typename T>
static int batch_stats(const T *x, int64_t n, int64_t c, int64_t s, double *mean, double *var) {
  if (!check_dims(n, c, s)) return NS_EINVAL;
  NS_GUARD_BEGIN
  const int64_t count = n * s;
  if (count == 0 || c == 0) {
    for (int64_t ch = 0; ch < c; ch++) mean[ch] = var[ch] = 0;
    return clear_error();
  }
  Plan p = make_plan(n, c, s, (int64_t)sizeof(T));
  std::vector<Moments> part((size_t)((p.flat ? n : p.rblocks) * c));
  NS_DISPATCH(batch_moments<T>, x, n, c, s, p, part.data());
  for (int64_t ch = 0; ch < c; ch++) {
    mean[ch] = part[ch].mean;
    var[ch] = part[ch].m2 / (double)count;
  }
  return clear_error();
  NS_GUARD_END
}

template <typename T>
static int forward_train(const T *x, T *y, int64_t n, int64_t c, int64_t s, const double *w, const double *b,
                         double *rm, double *rv, double mom, double eps, double *mean_out, double *invstd_out) {
  if (!check_dims(n, c, s)) return NS_EINVAL;
  NS_GUARD_BEGIN
  const int64_t count = n * s;
  if (count == 0 || c == 0) {  // no elements: zero statistics, running stats untouched (as the reference)
    for (int64_t ch = 0; ch < c; ch++) {
      mean_out[ch] = 0;
      invstd_out[ch] = 1.0 / std::sqrt(eps);
    }
    return clear_error();
  }
  Plan p = make_plan(n, c, s, (int64_t)sizeof(T));
  std::vector<Moments> part((size_t)((p.flat ? n : p.rblocks) * c));
  std::vector<double> ab((size_t)(2 * c));
  TrainParams tp = {(double)count, w, b, rm, rv, mom, eps, mean_out, invstd_out, ab.data(), ab.data() + c};
  NS_DISPATCH(forward_train<T>, x, y, n, c, s, p, tp, part.data());
  return clear_error();
  NS_GUARD_END
}

template <typename T>
static int forward_eval(const T *x, T *y, int64_t n, int64_t c, int64_t s, const double *w, const double *b,
                        const double *mean, const double *invstd) {
  if (!check_dims(n, c, s)) return NS_EINVAL;
  NS_GUARD_BEGIN
  if (n * c * s == 0) return clear_error();
  std::vector<double> ab((size_t)(2 * c));
  for (int64_t ch = 0; ch < c; ch++) {
    const double a = invstd[ch] * (w ? w[ch] : 1.0);
    ab[ch] = a;
    ab[c + ch] = (b ? b[ch] : 0.0) - mean[ch] * a;
  }
  NS_DISPATCH(affine<T>, x, y, n, c, s, make_plan(n, c, s, (int64_t)sizeof(T)), ab.data(), ab.data() + c);
  return clear_error();
  NS_GUARD_END
}

template <typename T>
static int backward_reduce(const T *dy, const T *x, int64_t n, int64_t c, int64_t s, const double *mean,
                           double *sum_dy, double *sum_dy_xmu) {
  if (!check_dims(n, c, s)) return NS_EINVAL;
  NS_GUARD_BEGIN
  if (n * c * s == 0) {
    for (int64_t ch = 0; ch < c; ch++) sum_dy[ch] = sum_dy_xmu[ch] = 0;
    return clear_error();
  }
  Plan p = make_plan(n, c, s, (int64_t)sizeof(T));
  const int64_t rows = p.flat ? n : p.rblocks;
  std::vector<double> r((size_t)(2 * rows * c));
  double *r1 = r.data(), *r2 = r.data() + rows * c;
  NS_DISPATCH(backward_reduce<T>, dy, x, n, c, s, p, mean, r1, r2);
  std::memcpy(sum_dy, r1, (size_t)c * sizeof(double));
  std::memcpy(sum_dy_xmu, r2, (size_t)c * sizeof(double));
  return clear_error();
  NS_GUARD_END
}

template <typename T>
static int backward_elemt(const T *dy, const T *x, T *dx, int64_t n, int64_t c, int64_t s, const double *mean,
                          const double *invstd, const double *w, const double *sum_dy, const double *sum_dy_xmu,
                          double count) {
  if (!check_dims(n, c, s)) return NS_EINVAL;
  NS_GUARD_BEGIN
  if (n * c * s == 0) return clear_error();
  std::vector<double> k((size_t)(3 * c));
  double *g = k.data(), *ps = g + c, *sc = ps + c;
  for (int64_t ch = 0; ch < c; ch++) {
    const double inv = invstd[ch];
    sc[ch] = inv * (w ? w[ch] : 1.0);
    g[ch] = sum_dy[ch] / count;
    ps[ch] = (sum_dy_xmu[ch] / count) * inv * inv;
  }
  NS_DISPATCH(backward_elemt<T>, dy, x, dx, n, c, s, make_plan(n, c, s, (int64_t)sizeof(T)), g, mean, ps, sc);
  return clear_error();
  NS_GUARD_END
}

template <typename T>
static int backward_eval_elemt(const T *dy, T *dx, int64_t n, int64_t c, int64_t s, const double *invstd,
                               const double *w) {
  if (!check_dims(n, c, s)) return NS_EINVAL;
  NS_GUARD_BEGIN
  if (n * c * s == 0) return clear_error();
  std::vector<double> k((size_t)c);
  for (int64_t ch = 0; ch < c; ch++) k[ch] = invstd[ch] * (w ? w[ch] : 1.0);
  NS_DISPATCH(scale<T>, dy, dx, n, c, s, make_plan(n, c, s, (int64_t)sizeof(T)), k.data());
  return clear_error();
  NS_GUARD_END
}

}  // namespace ns

// ---------------------------------------------------------------- C ABI

NS_API int ns_cpu_set_threads(int threads) { return ns::pool_set_threads(threads); }
NS_API int ns_cpu_threads(void) { return ns::pool_threads(); }
NS_API const char *ns_cpu_isa(void) { return ns::use_avx2() ? "avx2" : "baseline"; }

namespace {
struct CopyJob {
  char *dst;
  const char *src;
  size_t bytes, chunk;
};
void copy_task(void *vp, int64_t t) {
  CopyJob &j = *(CopyJob *)vp;
  const size_t off = (size_t)t * j.chunk;
  std::memcpy(j.dst + off, j.src + off, off + j.chunk <= j.bytes ? j.chunk : j.bytes - off);
}
}  // namespace

NS_API int ns_cpu_copy(void *dst, const void *src, size_t bytes) {
  const size_t chunk = 1 << 20;
  CopyJob j = {(char *)dst, (const char *)src, bytes, chunk};
  ns::pool_run((int64_t)((bytes + chunk - 1) / chunk), &copy_task, &j, bytes >= 4 * chunk);
  return ns::clear_error();
}

#define NS_DEFINE_CPU(T, SUF)                                                                              \
  NS_API int ns_cpu_batch_stats_##SUF(const T *x, int64_t n, int64_t c, int64_t s, double *mean,           \
                                      double *var_biased) {                                               \
    return ns::batch_stats<T>(x, n, c, s, mean, var_biased);                                              \
  }                                                                                                       \
  NS_API int ns_cpu_forward_train_##SUF(const T *x, T *y, int64_t n, int64_t c, int64_t s,                 \
                                        const double *weight, const double *bias, double *running_mean,   \
                                        double *running_var, double momentum, double eps,                 \
                                        double *mean_out, double *invstd_out) {                           \
    return ns::forward_train<T>(x, y, n, c, s, weight, bias, running_mean, running_var, momentum, eps,    \
                                mean_out, invstd_out);                                                    \
  }                                                                                                       \
  NS_API int ns_cpu_forward_eval_##SUF(const T *x, T *y, int64_t n, int64_t c, int64_t s,                  \
                                       const double *weight, const double *bias, const double *mean,      \
                                       const double *invstd) {                                            \
    return ns::forward_eval<T>(x, y, n, c, s, weight, bias, mean, invstd);                                \
  }                                                                                                       \
  NS_API int ns_cpu_backward_reduce_##SUF(const T *dy, const T *x, int64_t n, int64_t c, int64_t s,        \
                                          const double *mean, double *sum_dy, double *sum_dy_xmu) {       \
    return ns::backward_reduce<T>(dy, x, n, c, s, mean, sum_dy, sum_dy_xmu);                              \
  }                                                                                                       \
  NS_API int ns_cpu_backward_elemt_##SUF(const T *dy, const T *x, T *dx, int64_t n, int64_t c, int64_t s,  \
                                         const double *mean, const double *invstd, const double *weight,  \
                                         const double *sum_dy, const double *sum_dy_xmu, double count) {  \
    return ns::backward_elemt<T>(dy, x, dx, n, c, s, mean, invstd, weight, sum_dy, sum_dy_xmu, count);    \
  }                                                                                                       \
  NS_API int ns_cpu_backward_eval_elemt_##SUF(const T *dy, T *dx, int64_t n, int64_t c, int64_t s,         \
                                              const double *invstd, const double *weight) {               \
    return ns::backward_eval_elemt<T>(dy, dx, n, c, s, invstd, weight);                                   \
  }

NS_DEFINE_CPU(float, f32)
NS_DEFINE_CPU(double, f64)

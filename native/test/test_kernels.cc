// C++ harness for the kernels' C ABI (native/kernels/normscope_kernels.h): every CPU kernel against a
// straightforward two-pass reference in long double, float32 and float64, shapes that exercise the
// plane and row plans, channel- and batch-parallel splits, 1..3 threads, empty tensors and bad input.
// Built and run by engine/backend/nativeHarness.test.ts; prints one line per failure and a summary,
// exits non-zero on any failure.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "../kernels/normscope_kernels.h"

static int failures = 0, checks = 0;

static void expect_close(const char *what, const char *ctx, double got, long double want, double rtol,
                         double atol) {
  checks++;
  const double w = (double)want;
  const bool ok = (std::isnan(w) && std::isnan(got)) || std::fabs(got - w) <= atol + rtol * std::fabs(w);
  if (!ok && failures++ < 30) std::printf("FAIL %s %s: got %.17g want %.17g\n", ctx, what, got, w);
}

struct Shape {
  int64_t n, c, s;
};

template <typename T>
struct Api;
template <>
struct Api<float> {
  static constexpr const char *name = "f32";
  static constexpr double rtol = 1e-5, atol = 1e-5;
  static constexpr auto stats = ns_cpu_batch_stats_f32;
  static constexpr auto train = ns_cpu_forward_train_f32;
  static constexpr auto eval = ns_cpu_forward_eval_f32;
  static constexpr auto reduce = ns_cpu_backward_reduce_f32;
  static constexpr auto elemt = ns_cpu_backward_elemt_f32;
  static constexpr auto eval_elemt = ns_cpu_backward_eval_elemt_f32;
};
template <>
struct Api<double> {
  static constexpr const char *name = "f64";
  static constexpr double rtol = 1e-9, atol = 1e-10;
  static constexpr auto stats = ns_cpu_batch_stats_f64;
  static constexpr auto train = ns_cpu_forward_train_f64;
  static constexpr auto eval = ns_cpu_forward_eval_f64;
  static constexpr auto reduce = ns_cpu_backward_reduce_f64;
  static constexpr auto elemt = ns_cpu_backward_elemt_f64;
  static constexpr auto eval_elemt = ns_cpu_backward_eval_elemt_f64;
};

template <typename T>
static void check_shape(Shape sh, bool affine, std::mt19937_64 &rng) {
  using A = Api<T>;
  const int64_t N = sh.n, C = sh.c, S = sh.s, total = N * C * S, cnt = N * S;
  char ctx[160];
  std::snprintf(ctx, sizeof ctx, "%s (%lld,%lld,%lld) affine=%d threads=%d", A::name, (long long)N,
                (long long)C, (long long)S, affine, ns_cpu_threads());
  std::normal_distribution<double> nd(0.0, 1.0);
  std::vector<T> x(total), dy(total), y(total), dx(total);
  std::vector<double> w(C), b(C), rm(C), rv(C), mean(C), inv(C), var(C);
  for (int64_t ch = 0; ch < C; ch++) {
    w[ch] = 0.5 + 0.1 * ch;
    b[ch] = 0.25 - 0.05 * ch;
    rm[ch] = 0.1 * ch;
    rv[ch] = 1.0 + 0.01 * ch;
  }
  for (int64_t i = 0; i < total; i++) {
    const int64_t ch = (i / S) % C;
    x[i] = (T)(3.0 + ch + (1 + 0.5 * ch) * nd(rng));  // offset means: the shift must earn its keep
    dy[i] = (T)nd(rng);
  }
  // reference statistics, two-pass in long double
  std::vector<long double> rmean(C, 0), rvar(C, 0), rsdy(C, 0), rsdx(C, 0);
  for (int64_t i = 0; i < total; i++) rmean[(i / S) % C] += x[i];
  for (int64_t ch = 0; ch < C; ch++) rmean[ch] = cnt ? rmean[ch] / cnt : 0;
  for (int64_t i = 0; i < total; i++) {
    const int64_t ch = (i / S) % C;
    const long double d = x[i] - rmean[ch];
    rvar[ch] += d * d;
    rsdy[ch] += dy[i];
    rsdx[ch] += d * dy[i];
  }
  for (int64_t ch = 0; ch < C; ch++) rvar[ch] = cnt ? rvar[ch] / cnt : 0;
  const double eps = 1e-5, mom = 0.1;
  std::vector<double> rm0 = rm, rv0 = rv;

  if (A::stats(x.data(), N, C, S, mean.data(), var.data()) != NS_OK) expect_close("stats rc", ctx, 1, 0, 0, 0);
  for (int64_t ch = 0; ch < C; ch++) {
    expect_close("mean", ctx, mean[ch], rmean[ch], A::rtol, A::atol);
    expect_close("var", ctx, var[ch], rvar[ch], A::rtol, A::atol);
  }
  int rc = A::train(x.data(), y.data(), N, C, S, affine ? w.data() : nullptr, affine ? b.data() : nullptr,
                    rm.data(), rv.data(), mom, eps, mean.data(), inv.data());
  if (rc != NS_OK) expect_close("train rc", ctx, rc, 0, 0, 0);
  for (int64_t ch = 0; ch < C; ch++) {
    const long double ri = cnt ? 1.0L / std::sqrt(rvar[ch] + (long double)eps) : 1.0L / std::sqrt((long double)eps);
    expect_close("saved mean", ctx, mean[ch], rmean[ch], A::rtol, A::atol);
    expect_close("saved invstd", ctx, inv[ch], ri, A::rtol, A::atol);
    if (cnt > 1) {
      expect_close("running mean", ctx, rm[ch], mom * rmean[ch] + (1 - mom) * rm0[ch], A::rtol, A::atol);
      expect_close("running var", ctx, rv[ch], mom * rvar[ch] * cnt / (cnt - 1) + (1 - mom) * rv0[ch], A::rtol,
                   A::atol);
    } else if (cnt == 0) {
      expect_close("running mean untouched", ctx, rm[ch], rm0[ch], 0, 0);
    }
  }
  for (int64_t i = 0; i < total; i++) {
    const int64_t ch = (i / S) % C;
    const long double ri = 1.0L / std::sqrt(rvar[ch] + (long double)eps);
    const long double want = (x[i] - rmean[ch]) * ri * (affine ? w[ch] : 1) + (affine ? b[ch] : 0);
    expect_close("y", ctx, y[i], want, A::rtol * 4, A::atol * 4);
  }
  // eval forward with the running statistics
  std::vector<double> rinv(C);
  for (int64_t ch = 0; ch < C; ch++) rinv[ch] = 1.0 / std::sqrt(rv[ch] + eps);
  rc = A::eval(x.data(), y.data(), N, C, S, affine ? w.data() : nullptr, affine ? b.data() : nullptr, rm.data(),
               rinv.data());
  if (rc != NS_OK) expect_close("eval rc", ctx, rc, 0, 0, 0);
  for (int64_t i = 0; i < total; i++) {
    const int64_t ch = (i / S) % C;
    const long double want =
        ((long double)x[i] - rm[ch]) * rinv[ch] * (affine ? w[ch] : 1) + (affine ? b[ch] : 0);
    expect_close("y eval", ctx, y[i], want, A::rtol * 4, A::atol * 4);
  }
  // backward with the batch statistics
  std::vector<double> sdy(C), sdx(C);
  rc = A::reduce(dy.data(), x.data(), N, C, S, mean.data(), sdy.data(), sdx.data());
  if (rc != NS_OK) expect_close("reduce rc", ctx, rc, 0, 0, 0);
  for (int64_t ch = 0; ch < C; ch++) {
    const double scale = std::sqrt((double)(cnt ? cnt : 1));
    expect_close("sum dy", ctx, sdy[ch], rsdy[ch], A::rtol, A::atol * scale);
    expect_close("sum dy·xmu", ctx, sdx[ch], rsdx[ch], A::rtol, A::atol * scale * (1 + ch));
  }
  if (cnt > 0) {
    rc = A::elemt(dy.data(), x.data(), dx.data(), N, C, S, mean.data(), inv.data(), affine ? w.data() : nullptr,
                  sdy.data(), sdx.data(), (double)cnt);
    if (rc != NS_OK) expect_close("elemt rc", ctx, rc, 0, 0, 0);
    for (int64_t i = 0; i < total; i++) {
      const int64_t ch = (i / S) % C;
      const long double ri = inv[ch], xm = x[i] - (long double)mean[ch];
      const long double want = (dy[i] - sdy[ch] / cnt - xm * sdx[ch] / cnt * ri * ri) * ri * (affine ? w[ch] : 1);
      expect_close("dx", ctx, dx[i], want, A::rtol * 10, A::atol * 10);
    }
  }
  rc = A::eval_elemt(dy.data(), dx.data(), N, C, S, rinv.data(), affine ? w.data() : nullptr);
  if (rc != NS_OK) expect_close("eval elemt rc", ctx, rc, 0, 0, 0);
  for (int64_t i = 0; i < total; i++) {
    const int64_t ch = (i / S) % C;
    expect_close("dx eval", ctx, dx[i], (long double)dy[i] * rinv[ch] * (affine ? w[ch] : 1), A::rtol, A::atol);
  }
}

static void check_gather() {
  // two ranks with data, one empty rank in the middle; compare with the pooled statistics
  const int64_t C = 3;
  const double eps = 1e-5;
  std::vector<double> a = {1, 2, 3, 4}, bb = {10, 11};  // channel values (same for every channel + ch)
  std::vector<double> g;
  auto push = [&](const std::vector<double> &v) {
    double m = 0, q = 0;
    for (double e : v) m += e;
    m = v.empty() ? 0 : m / v.size();
    for (double e : v) q += (e - m) * (e - m);
    for (int64_t ch = 0; ch < C; ch++) g.push_back(m + ch);
    for (int64_t ch = 0; ch < C; ch++) g.push_back(v.empty() ? 0 : 1 / std::sqrt(q / v.size() + eps));
    g.push_back((double)v.size());
  };
  push(a);
  push({});
  push(bb);
  std::vector<double> mean(C), inv(C), var(C);
  double total = 0;
  if (ns_gather_stats_with_counts(g.data(), 3, C, eps, mean.data(), inv.data(), var.data(), &total) != NS_OK)
    expect_close("gather rc", "gather", 1, 0, 0, 0);
  expect_close("total count", "gather", total, 6, 0, 0);
  const double pm = (1 + 2 + 3 + 4 + 10 + 11) / 6.0;
  double pv = 0;
  for (double e : {1, 2, 3, 4, 10, 11}) pv += (e - pm) * (e - pm);
  pv /= 6;
  for (int64_t ch = 0; ch < C; ch++) {
    expect_close("gather mean", "gather", mean[ch], pm + ch, 1e-12, 1e-12);
    expect_close("gather invstd", "gather", inv[ch], 1 / std::sqrt(pv + eps), 1e-9, 1e-12);
    expect_close("gather var", "gather", var[ch], pv, 1e-9, 1e-12);
  }
}

int main() {
  std::mt19937_64 rng(1234);
  const Shape shapes[] = {{4, 3, 1},      {16, 5, 1},    {256, 1024, 1}, {2, 3, 7},    {8, 64, 15},
                          {4, 6, 16},     {2, 3, 100},   {8, 2, 3000},   {1, 1, 5},    {3, 1, 40000},
                          {50000, 1, 1},  {2, 4, 0},     {0, 4, 9},      {5, 0, 3},    {1, 70, 33},
                          {4, 32, 1025},  {13, 37, 3},
                          // ≥ 2^17 elements: the parallel plans (plane runs, batch-split rows, channel blocks)
                          {3, 1, 200000}, {600000, 1, 1}, {64, 40, 250}, {1024, 600, 1}, {160, 1024, 1},
                          {128, 1100, 1}};
  for (int threads : {1, 2, 3}) {
    ns_cpu_set_threads(threads);
    for (const Shape &sh : shapes) {
      if (threads == 1 && sh.n * sh.c * sh.s >= (1 << 17)) continue;  // large shapes: parallel plans only
      for (bool affine : {true, false}) {
        check_shape<float>(sh, affine, rng);
        check_shape<double>(sh, affine, rng);
      }
    }
  }
  check_gather();
  // bad input is an error code with a message, never a crash
  double m[1], v[1];
  checks++;
  if (ns_cpu_batch_stats_f32(nullptr, -1, 1, 1, m, v) != NS_EINVAL || ns_last_error()[0] == '\0') {
    failures++;
    std::printf("FAIL negative dimension not rejected\n");
  }
  std::printf("isa=%s threads=%d checks=%d failures=%d\n", ns_cpu_isa(), ns_cpu_threads(), checks, failures);
  return failures == 0 ? 0 : 1;
}

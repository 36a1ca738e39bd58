// GPU harness over the C ABI: every CUDA kernel (host-pointer entry points, which stage through the
// device) against the CPU kernels (themselves checked against a long-double reference by
// native/test/test_kernels.cc), float32 and float64, on shapes that exercise both CUDA layouts (plane
// S ≥ 32, row S < 32), more channels than a grid's y dimension allows (> 65535), slices that split
// planes, and empty batches. Prints one line per failure and a summary; exit status 0 when all pass.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <cstdlib>
#include <vector>

#include "../kernels/normscope_kernels.h"
#include "harness_device.h"

static int failures = 0;
static long long checks = 0;
static double worst_f32 = 0, worst_f64 = 0;

// One comparison: |got − want| / scale within float32's or float64's tolerance; counts and reports.
static void check_one(const char *what, const char *ctx, size_t i, double got, double want, double scale, bool f32) {
  const double d = std::fabs(got - want) / scale;
  checks++;
  double &worst = f32 ? worst_f32 : worst_f64;
  if (d > worst) worst = d;
  if (!(d <= (f32 ? 1e-5 : 1e-9)) && failures++ < 40)
    std::printf("FAIL %s %s[%zu]: cuda %.17g cpu %.17g (scale %.3g)\n", ctx, what, i, got, want, scale);
}

static void cmp(const char *what, const char *ctx, const double *a, const double *b, size_t n, bool f32) {
  for (size_t i = 0; i < n; i++) check_one(what, ctx, i, a[i], b[i], std::fmax(1.0, std::fabs(b[i])), f32);
}

// y = x·α + β is formed in T from α, β rounded to T (as PyTorch's CPU kernel does). Where x·α and β
// nearly cancel (a channel whose few samples are almost equal has a huge α), one rounding step of β is
// large against y itself; so y is compared relative to |x·α| + |β|, the size of what was summed.
template <typename T>
static void cmp_affine(const char *what, const char *ctx, const std::vector<T> &got, const std::vector<T> &want,
                       const std::vector<T> &x, int64_t n, int64_t c, int64_t s, const double *mean,
                       const double *invstd, const double *w, const double *b) {
  for (int64_t i = 0; i < n * c * s; i++) {
    const int64_t ch = (i / s) % c;
    const double al = invstd[ch] * (w ? w[ch] : 1.0), be = (b ? b[ch] : 0.0) - mean[ch] * al;
    const double scale = std::fmax(1.0, std::fabs((double)x[i] * al) + std::fabs(be));
    check_one(what, ctx, (size_t)i, (double)got[i], (double)want[i], scale, sizeof(T) == 4);
  }
}

template <typename T>
static std::vector<double> dbl(const std::vector<T> &v) {
  return std::vector<double>(v.begin(), v.end());
}


template <typename T>
struct K;
#define NS_K(T, SUF)                                                             \
  template <>                                                                    \
  struct K<T> {                                                                  \
    static constexpr bool f32 = sizeof(T) == 4;                                  \
    static constexpr auto cpu_train = ns_cpu_forward_train_##SUF;                \
    static constexpr auto gpu_train = ns_cuda_forward_train_##SUF;               \
    static constexpr auto cpu_stats = ns_cpu_batch_stats_##SUF;                  \
    static constexpr auto gpu_stats = ns_cuda_batch_stats_##SUF;                 \
    static constexpr auto cpu_eval = ns_cpu_forward_eval_##SUF;                  \
    static constexpr auto gpu_eval = ns_cuda_forward_eval_##SUF;                 \
    static constexpr auto cpu_reduce = ns_cpu_backward_reduce_##SUF;             \
    static constexpr auto gpu_reduce = ns_cuda_backward_reduce_##SUF;            \
    static constexpr auto cpu_elemt = ns_cpu_backward_elemt_##SUF;               \
    static constexpr auto gpu_elemt = ns_cuda_backward_elemt_##SUF;              \
    static constexpr auto cpu_evelemt = ns_cpu_backward_eval_elemt_##SUF;        \
    static constexpr auto gpu_evelemt = ns_cuda_backward_eval_elemt_##SUF;       \
  };
NS_K(float, f32)
NS_K(double, f64)

template <typename T>
static void check(int64_t n, int64_t c, int64_t s, bool affine, std::mt19937_64 &rng) {
  using k = K<T>;
  char ctx[128];
  std::snprintf(ctx, sizeof ctx, "%s (%lld,%lld,%lld) affine=%d", k::f32 ? "f32" : "f64", (long long)n,
                (long long)c, (long long)s, affine);
  const int64_t total = n * c * s;
  std::normal_distribution<double> nd;
  std::vector<T> x(total), dy(total), ya(total), yb(total);
  for (auto &v : x) v = (T)(2 * nd(rng) + 3);
  for (auto &v : dy) v = (T)nd(rng);
  std::vector<double> w(c), b(c), rma(c), rva(c), rmb, rvb, ma(c), ia(c), mb(c), ib(c);
  for (int64_t i = 0; i < c; i++) {
    w[i] = 1 + 0.3 * nd(rng);
    b[i] = 0.3 * nd(rng);
    rma[i] = 0.1 * nd(rng);
    rva[i] = 1 + 0.1 * std::fabs(nd(rng));
  }
  rmb = rma;
  rvb = rva;
  const double *W = affine ? w.data() : nullptr, *B = affine ? b.data() : nullptr;
  int rc1 = k::gpu_train(x.data(), ya.data(), n, c, s, W, B, rma.data(), rva.data(), 0.1, 1e-5, ma.data(), ia.data());
  int rc2 = k::cpu_train(x.data(), yb.data(), n, c, s, W, B, rmb.data(), rvb.data(), 0.1, 1e-5, mb.data(), ib.data());
  if (rc1 || rc2) {
    failures++;
    std::printf("FAIL %s forward_train rc %d/%d: %s\n", ctx, rc1, rc2, ns_last_error());
    return;
  }
  cmp_affine("y", ctx, ya, yb, x, n, c, s, mb.data(), ib.data(), W, B);
  // float32 statistics are summed in fp32 per thread on the GPU (double on the CPU): float32 tolerance
  cmp("mean", ctx, ma.data(), mb.data(), c, k::f32);
  cmp("invstd", ctx, ia.data(), ib.data(), c, k::f32);
  cmp("running_mean", ctx, rma.data(), rmb.data(), c, k::f32);
  cmp("running_var", ctx, rva.data(), rvb.data(), c, k::f32);

  std::vector<double> sm(c), sv(c), cm(c), cv(c);
  k::gpu_stats(x.data(), n, c, s, sm.data(), sv.data());
  k::cpu_stats(x.data(), n, c, s, cm.data(), cv.data());
  cmp("batch_stats mean", ctx, sm.data(), cm.data(), c, k::f32);
  cmp("batch_stats var", ctx, sv.data(), cv.data(), c, k::f32);

  k::gpu_eval(x.data(), ya.data(), n, c, s, W, B, rma.data(), ib.data());
  k::cpu_eval(x.data(), yb.data(), n, c, s, W, B, rma.data(), ib.data());
  cmp_affine("eval y", ctx, ya, yb, x, n, c, s, rma.data(), ib.data(), W, B);

  std::vector<double> s1a(c), s2a(c), s1b(c), s2b(c);
  k::gpu_reduce(dy.data(), x.data(), n, c, s, mb.data(), s1a.data(), s2a.data());
  k::cpu_reduce(dy.data(), x.data(), n, c, s, mb.data(), s1b.data(), s2b.data());
  const double scale = std::sqrt((double)(n * s > 0 ? n * s : 1));
  for (int64_t i = 0; i < c; i++) {  // sums of n·s terms: compare relative to √(n·s)
    s1a[i] /= scale;
    s1b[i] /= scale;
    s2a[i] /= scale;
    s2b[i] /= scale;
  }
  cmp("sum_dy/√n", ctx, s1a.data(), s1b.data(), c, k::f32);
  cmp("sum_dy_xmu/√n", ctx, s2a.data(), s2b.data(), c, k::f32);
  k::cpu_reduce(dy.data(), x.data(), n, c, s, mb.data(), s1b.data(), s2b.data());
  if (n * s > 0) {
    k::gpu_elemt(dy.data(), x.data(), ya.data(), n, c, s, mb.data(), ib.data(), W, s1b.data(), s2b.data(), (double)(n * s));
    k::cpu_elemt(dy.data(), x.data(), yb.data(), n, c, s, mb.data(), ib.data(), W, s1b.data(), s2b.data(), (double)(n * s));
    cmp("dx", ctx, dbl(ya).data(), dbl(yb).data(), total, k::f32);
  }
  k::gpu_evelemt(dy.data(), ya.data(), n, c, s, ib.data(), W);
  k::cpu_evelemt(dy.data(), yb.data(), n, c, s, ib.data(), W);
  cmp("eval dx", ctx, dbl(ya).data(), dbl(yb).data(), total, k::f32);
}

int main(int argc, char **argv) {
  if (!print_cuda_device()) return 2;
  std::mt19937_64 rng(42);
  // The full list is for a GPU. `--emu` picks shapes that reach every layout and branch (plane with
  // vector loads, flat short planes, unaligned planes, row groups of several channels, one channel over
  // several tiles, split slices, over 65536 channels in the row layout, empty batches) at sizes the CPU
  // emulator runs in seconds; the plane layout's loop over channel tiles needs NS_CUDA_EMU_MAX_GRID_Y
  // lowered (native/cuda-emu/cudaEmu.test.ts). `N C S` triples on the command line run just those.
  std::vector<std::array<int64_t, 3>> shapes = {
      {4, 3, 1},     {256, 1024, 1}, {5, 7, 9},      {8, 64, 31},   {8, 64, 32},    {32, 64, 3136},
      {8, 256, 784}, {4, 32, 16384}, {1, 5, 100000}, {64, 1, 700},  {2, 70000, 1},  {2, 70000, 40},
      {3, 2, 0},     {2, 3, 1025},   {1000, 3, 2},   {16, 96, 64},  {8, 50, 300},   {7, 9, 255},
      {4, 5, 33},    {256, 512, 64}, {3, 5, 36},     {9, 7, 1020},  {2, 3, 2048}};
  if (argc > 1 && std::string(argv[1]) == "--emu") {
    shapes = {{4, 3, 1},  {64, 40, 1},   {5, 7, 9},    {8, 6, 31},    {8, 6, 32},     {4, 3, 3136},
              {2, 2, 784}, {1, 2, 16384}, {1, 1, 30000}, {64, 1, 700}, {2, 65600, 1}, {1, 65537, 4},
              {3, 2, 0},   {0, 4, 5},     {2, 3, 1025}, {1000, 3, 2},  {4, 5, 33},    {3, 5, 36},
              {9, 7, 1020}, {300, 2, 3},  {2, 40, 13}};
  } else if (argc > 1) {
    shapes.clear();
    for (int i = 1; i + 2 < argc; i += 3)
      shapes.push_back({std::atoll(argv[i]), std::atoll(argv[i + 1]), std::atoll(argv[i + 2])});
  }
  for (auto &sh : shapes) {
    for (bool affine : {true, false}) {
      check<float>(sh[0], sh[1], sh[2], affine, rng);
      check<double>(sh[0], sh[1], sh[2], affine, rng);
    }
  }
  std::printf("cuda harness: checks=%lld failures=%d worst_rel_f32=%.3g worst_rel_f64=%.3g\n", checks, failures,
              worst_f32, worst_f64);
  return failures == 0 ? 0 : 1;
}

// Harness of the device-resident ops (native/kernels/normscope_device.h): every function, float32 and
// float64, on device memory obtained and filled through the ABI's own memory functions, against a
// plain C++ reference (device_ops_reference.h: sums in long double, rounded once to T). Shapes: empty,
// one element, sizes off the block size, more than one grid-stride pass, conv2d with strides, padding
// and non-square kernels, rows = 1; the inspector's summary and histogram (device_ops_inspect_cases.inc:
// NaN/inf, constant and large-offset data, values on bin edges; its own tolerances are explained
// there). Also: the transfer counters move by exactly the bytes copied (the host-pointer BatchNorm
// API's staging included), and bad arguments return their codes.
//
// Tolerances, relative to `scale` = Σ|terms| of the value (at least |want|):
//   exact (0): ops that are one IEEE operation per element (add, sub, mul, scale, relu, fill, widen,
//     narrow, BatchNorm param grads and eval statistics: sqrt and division are correctly rounded);
//   float32 1e-6: the device sums in double in another order (or fuses a multiply-add), a difference of
//     ~1e-16·scale that can move the one rounding to float by one unit (2^-24 ≈ 6e-8 of |want|);
//   float64 1e-12: the device's tree-shaped double sum against the exactly rounded reference:
//     ~log2(terms)·2^-53·scale, under 1e-14 for these sizes (1e-12 leaves room for exp/log's 1-ulp
//     differences in cross entropy and for FMA).
//   BatchNorm statistics keep cuda_harness's 1e-5/1e-9: the kernels form float32 sums in float.
// A wrong index, sign, bound or missing term moves results by far more: deliberate mutations (conv
// padding off by one, mse backward's sign, a GEMM tile short of one k, a block sum without its first
// barrier, an uncounted staging copy, …) each make the --emu run fail (thousands of checks for most).
// Usage: device_ops_harness [--emu]   (--emu: sizes for the CPU emulator; default: the GPU list)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "device_ops_reference.h"
#include "harness_device.h"

namespace {

int failures = 0;
long long checks = 0;
double worst[2] = {0, 0};  // float32, float64 (toleranced comparisons)
uint64_t exp_up = 0, exp_up_calls = 0, exp_down = 0, exp_down_calls = 0;
bool emu_sizes = false;

void fail(const char *fmt, const char *ctx, const char *what, long long i, double got, double want) {
  if (failures++ < 40) std::printf(fmt, ctx, what, i, got, want);
}

void check(const char *ctx, const char *what, size_t i, double got, double want, double scale, double tol, bool f32) {
  checks++;
  if (std::isnan(want) && std::isnan(got)) return;
  if (tol == 0) {
    if (!(got == want)) fail("FAIL %s %s[%lld]: device %.17g reference %.17g (exact)\n", ctx, what, (long long)i, got, want);
    return;
  }
  const double d = std::fabs(got - want) / std::fmax(scale, std::fmax(std::fabs(want), 1e-300));
  // worst: of the sums' comparisons (not the BatchNorm statistics' looser ones)
  if (tol == (f32 ? 1e-6 : 1e-12) && d > worst[f32 ? 0 : 1]) worst[f32 ? 0 : 1] = d;
  if (!(d <= tol)) fail("FAIL %s %s[%lld]: device %.17g reference %.17g\n", ctx, what, (long long)i, got, want);
}

void check_rc(const char *ctx, const char *what, int rc, int want) {
  checks++;
  if (rc != want && failures++ < 40)
    std::printf("FAIL %s %s: returned %d, expected %d (%s)\n", ctx, what, rc, want, ns_last_error());
}

// Device buffer of n values, filled and read through ns_cuda_upload/ns_cuda_download.
template <typename V>
struct Dev {
  V *p = nullptr;
  size_t n = 0;
  explicit Dev(size_t count) : n(count) {
    int rc = ns_cuda_alloc((void **)&p, n * sizeof(V));
    if (rc != NS_OK) {
      std::printf("FATAL ns_cuda_alloc(%zu): %s\n", n * sizeof(V), ns_last_error());
      std::exit(3);
    }
  }
  explicit Dev(const std::vector<V> &v) : Dev(v.size()) { up(v); }
  ~Dev() { ns_cuda_release(p); }
  Dev(const Dev &) = delete;
  Dev &operator=(const Dev &) = delete;
  void up(const std::vector<V> &v) {
    const size_t bytes = v.size() * sizeof(V);
    check_rc("memory", "ns_cuda_upload", ns_cuda_upload(p, v.data(), bytes), NS_OK);
    if (bytes) exp_up += bytes, exp_up_calls++;
  }
  std::vector<V> down() const {
    std::vector<V> v(n);
    const size_t bytes = n * sizeof(V);
    check_rc("memory", "ns_cuda_download", ns_cuda_download(v.data(), p, bytes), NS_OK);
    if (bytes) exp_down += bytes, exp_down_calls++;
    return v;
  }
};

std::mt19937_64 rng(7);
template <typename T>
std::vector<T> randn(size_t n, double sd = 1, double mu = 0) {
  std::normal_distribution<double> nd(mu, sd);
  std::vector<T> v(n);
  for (auto &x : v) x = (T)nd(rng);
  return v;
}

template <typename T>
void cmp(const char *ctx, const char *what, const std::vector<T> &got, const Ref<T> &want, double tol) {
  const bool f32 = sizeof(T) == 4;
  if (got.size() != want.v.size()) {
    fail("FAIL %s %s[%lld]: size %.0f vs %.0f\n", ctx, what, -1, (double)got.size(), (double)want.v.size());
    return;
  }
  for (size_t i = 0; i < got.size(); i++) check(ctx, what, i, (double)got[i], (double)want.v[i], want.scale[i], tol, f32);
}

template <typename T>
double tol_sum() {
  return sizeof(T) == 4 ? 1e-6 : 1e-12;
}

#include "device_ops_cases.inc"

}  // namespace

int main(int argc, char **argv) {
  emu_sizes = argc > 1 && std::string(argv[1]) == "--emu";
  if (!print_cuda_device()) return 2;
  uint64_t s0[4], s1[4];
  ns_cuda_transfer_stats(s0);
  run_all<float>("f32");
  run_all<double>("f64");
  check_memory_and_errors();
  ns_cuda_transfer_stats(s1);
  // Every copy the harness made went through ns_cuda_upload/download or the host BatchNorm API.
  const uint64_t want[4] = {exp_up, exp_up_calls, exp_down, exp_down_calls};
  const char *names[4] = {"host-to-device bytes", "host-to-device copies", "device-to-host bytes", "device-to-host copies"};
  for (int i = 0; i < 4; i++) check("transfer stats", names[i], 0, (double)(s1[i] - s0[i]), (double)want[i], 0, 0, false);
  std::printf("device ops harness: checks=%lld failures=%d worst_rel_f32=%.3g worst_rel_f64=%.3g worst_rel_summary=%.3g "
              "uploaded=%llu downloaded=%llu\n",
              checks, failures, worst[0], worst[1], worst_summary, (unsigned long long)(s1[0] - s0[0]),
              (unsigned long long)(s1[2] - s0[2]));
  return failures == 0 ? 0 : 1;
}

// SyncBatchNorm's combine of per-rank (mean, invstd, count) rows: Chan's parallel formula over the
// ranks that contributed (count ≥ 1), exactly as engine/backend/tsKernels.ts tsGatherStatsWithCounts.
#include <cmath>

#include "normscope_kernels.h"
#include "ns_error.h"

NS_API int ns_gather_stats_with_counts(const double *gathered, int64_t world, int64_t c, double eps, double *mean,
                                       double *invstd, double *var_biased, double *total_count) {
  if (world < 0 || c < 0) return ns::set_error(NS_EINVAL, "negative world size or channel count");
  const int64_t row = 2 * c + 1;
  double total = 0;
  for (int64_t r = 0; r < world; r++) {
    const double cnt = gathered[r * row + 2 * c];
    if (cnt >= 1) total += cnt;
  }
  for (int64_t ch = 0; ch < c; ch++) {
    double n_acc = 0, avg = 0, m2 = 0;
    for (int64_t r = 0; r < world; r++) {
      const double *base = gathered + r * row;
      const double cnt = base[2 * c];
      if (!(cnt >= 1)) continue;  // empty ranks joined the collective with zeros
      const double mj = base[ch], inv = base[c + ch];
      const double var_j = (1 / (inv * inv) - eps) * cnt;
      const double delta = avg - mj;
      m2 += var_j + (delta * delta * n_acc * cnt) / (n_acc + cnt);
      avg = (n_acc * avg + cnt * mj) / (n_acc + cnt);
      n_acc += cnt;
    }
    const double var = n_acc > 0 ? m2 / n_acc : 0;
    mean[ch] = avg;
    if (var_biased) var_biased[ch] = var;
    invstd[ch] = 1 / std::sqrt(var + eps);
  }
  *total_count = total;
  return ns::clear_error();
}

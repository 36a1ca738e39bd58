// Kernels of the inspector's device ops (normscope_device.h: ns_cudadev_summary_*,
// ns_cudadev_histogram_*): included by cuda_device.cu inside its anonymous namespace, after
// cuda_device_kernels.cuh (kBlock, dblock_sum). The summary is two deterministic two-pass reductions
// (block partials, then one block; no atomics); the histogram counts with 64-bit integer atomics,
// exact in any order.
#pragma once

enum MinMax { kMin, kMax };

// Min or max over the block (thread 0 gets it); every thread must call it; ends with a barrier. Exact
// in any order, so it needs no fixed shape; the identity (±inf) fills the missing warps.
template <int OP>
__device__ __forceinline__ double dblock_minmax(double v) {
  __shared__ double sh[32];
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
  for (int o = 16; o > 0; o >>= 1) {
    const double u = __shfl_down_sync(0xffffffffu, v, o);
    v = OP == kMin ? fmin(v, u) : fmax(v, u);
  }
  if (lane == 0) sh[wid] = v;
  __syncthreads();
  if (wid == 0) {
    v = lane < nw ? sh[lane] : (OP == kMin ? INFINITY : -INFINITY);
    for (int o = 16; o > 0; o >>= 1) {
      const double u = __shfl_down_sync(0xffffffffu, v, o);
      v = OP == kMin ? fmin(v, u) : fmax(v, u);
    }
  }
  __syncthreads();
  return v;
}

// The summary's partials, field-major: part[f·parts + block]. Counts travel as doubles (exact below 2^53).
enum SummaryField { kSfCount, kSfNan, kSfInf, kSfMin, kSfMax, kSfSum, kSummaryFields };

// `v − v != 0` is true exactly for NaN and ±inf (engine/inspect/summary.ts's test).
__device__ __forceinline__ bool nonfinite(double v) { return v - v != 0; }

// Pass 1's sums of one thread; `reduce_block` combines them over the block (thread 0 gets the result;
// every thread must call it). Shared by the partial and the finish kernels.
struct SummarySums {
  double cnt = 0, nan = 0, inf = 0, mn = INFINITY, mx = -INFINITY, s = 0;
  __device__ void reduce_block() {
    cnt = dblock_sum(cnt);
    nan = dblock_sum(nan);
    inf = dblock_sum(inf);
    s = dblock_sum(s);
    mn = dblock_minmax<kMin>(mn);
    mx = dblock_minmax<kMax>(mx);
  }
};

// Summary pass 1: block b's strided share of the counts, min, max and Σv over the finite values.
template <typename T>
__global__ void summary_partial_kernel(const T *x, int64_t n, double *part) {
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  SummarySums a;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    const double v = (double)x[i];
    if (nonfinite(v)) {
      if (v != v)
        a.nan += 1;
      else
        a.inf += 1;
      continue;
    }
    a.cnt += 1;
    a.mn = fmin(a.mn, v);
    a.mx = fmax(a.mx, v);
    a.s += v;
  }
  a.reduce_block();
  if (threadIdx.x == 0) {
    const int64_t p = gridDim.x, b = blockIdx.x;
    part[kSfCount * p + b] = a.cnt;
    part[kSfNan * p + b] = a.nan;
    part[kSfInf * p + b] = a.inf;
    part[kSfMin * p + b] = a.mn;
    part[kSfMax * p + b] = a.mx;
    part[kSfSum * p + b] = a.s;
  }
}

// Summary pass 1's finish (one block): out[0..5] = count, NaNs, infs, min, max, mean = Σv/count (0
// when count is 0; min, max stay ±inf then).
__global__ void summary_finish_kernel(const double *part, int parts, double *out) {
  SummarySums a;
  for (int i = threadIdx.x; i < parts; i += blockDim.x) {
    a.cnt += part[kSfCount * parts + i];
    a.nan += part[kSfNan * parts + i];
    a.inf += part[kSfInf * parts + i];
    a.mn = fmin(a.mn, part[kSfMin * parts + i]);
    a.mx = fmax(a.mx, part[kSfMax * parts + i]);
    a.s += part[kSfSum * parts + i];
  }
  a.reduce_block();
  if (threadIdx.x == 0) {
    out[0] = a.cnt;
    out[1] = a.nan;
    out[2] = a.inf;
    out[3] = a.mn;
    out[4] = a.mx;
    out[5] = a.cnt > 0 ? a.s / a.cnt : 0.0;
  }
}

// Summary pass 2: block b's share of Σc² and Σc, c = v − mean over the finite values (mean: out[5],
// written by the finish above) into part[b] and part[parts + b]. nvcc fuses q += c·c into an FMA (one
// rounding fewer than the TypeScript's; the sum's order differs anyway).
template <typename T>
__global__ void summary_m2_kernel(const T *x, int64_t n, const double *out, double *part) {
  const double mean = out[5];
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  double q = 0, c1 = 0;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    const double v = (double)x[i];
    if (nonfinite(v)) continue;
    const double c = v - mean;
    q += c * c;
    c1 += c;
  }
  q = dblock_sum(q);
  c1 = dblock_sum(c1);
  if (threadIdx.x == 0) {
    part[blockIdx.x] = q;
    part[gridDim.x + blockIdx.x] = c1;
  }
}

// Pass 2's finish (one block): out[6] = m2 = Σc² − (Σc)²/count, the corrected two-pass formula
// (Chan, Golub & LeVeque: the second term removes the first order of the mean's rounding error).
__global__ void summary_m2_finish_kernel(const double *part, int parts, double *out) {
  double q = 0, c1 = 0;
  for (int i = threadIdx.x; i < parts; i += blockDim.x) {
    q += part[i];
    c1 += part[parts + i];
  }
  q = dblock_sum(q);
  c1 = dblock_sum(c1);
  if (threadIdx.x == 0) {
    const double cnt = out[0];
    out[6] = cnt > 0 ? q - (c1 * c1) / cnt : 0.0;
  }
}

// The bin of v, or −1 when v counts nowhere: engine/inspect/summary.ts's histogram to the bit
// (non-finite v and v outside [lo, hi] skipped; floor((v − lo)/width), a subtraction then a division,
// both correctly rounded in double with nothing to fuse; min with bins − 1). v ≥ lo makes the index
// ≥ 0; an infinite one (lo = −inf, or a subnormal width) lands in the last bin as Math.min puts it; a
// NaN one (lo NaN, which no comparison rejects) counts nowhere, as `counts[NaN]++` does in TypeScript.
__device__ __forceinline__ int64_t hist_bin(double v, double lo, double hi, double width, int64_t bins) {
  if (nonfinite(v) || v < lo || v > hi) return -1;
  const double f = floor((v - lo) / width);
  if (f < (double)(bins - 1)) return (int64_t)f;
  return f != f ? -1 : bins - 1;
}

constexpr int kSharedBins = 1024;  // histograms up to this many bins count per block in shared memory

// Per-block bins in shared memory (64-bit atomic adds), then one global atomic add per non-empty bin.
// Integer adds commute, so the counts are exact whatever the order.
template <typename T>
__global__ void histogram_shared_kernel(const T *x, int64_t n, double lo, double hi, double width, int bins,
                                        unsigned long long *counts) {
  __shared__ unsigned long long sh[kSharedBins];
  for (int b = threadIdx.x; b < bins; b += blockDim.x) sh[b] = 0;
  __syncthreads();
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int64_t b = hist_bin((double)x[i], lo, hi, width, bins);
    if (b >= 0) atomicAdd(&sh[b], 1ull);
  }
  __syncthreads();
  for (int b = threadIdx.x; b < bins; b += blockDim.x)
    if (sh[b]) atomicAdd(&counts[b], sh[b]);
}

// More bins than shared memory holds: global atomic adds.
template <typename T>
__global__ void histogram_global_kernel(const T *x, int64_t n, double lo, double hi, double width, int64_t bins,
                                        unsigned long long *counts) {
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int64_t b = hist_bin((double)x[i], lo, hi, width, bins);
    if (b >= 0) atomicAdd(&counts[b], 1ull);
  }
}

// CUDA reduction kernels (statistics; backward sums) with the in-launch merge: included by
// cuda_kernels.cu inside its anonymous namespace (one translation unit, so nvcc compiles once).
#pragma once

constexpr int kThreads = 256;
constexpr int kRowCols = 32, kRowRows = 8;
constexpr int64_t kRowMaxS = 256;

enum RedMode { kStats = 0, kDot = 1 };
enum Finalize { kFinStats = 0, kFinTrain = 1, kFinDot = 2 };

struct RedArgs {
  int64_t n, c, s;
  int slices;              // blocks per channel (plane) or row slices (row)
  int row;
  int vec;                 // plane layout: 4-element vector loads (S % 4 == 0, 16-byte aligned data)
  int flatidx;             // plane layout with short planes: walk the channel's N·S elements as one range
  int64_t G, tpg;          // row layout: channels per group, 32-column tiles per group
  double *p1, *p2;         // partials
  unsigned int *counter;   // per channel (plane) or per group (row); zero before launch, reset by the merger
  const double *mean_in;   // kDot
  int fin;
  // outputs / train params (device, per channel)
  double *o1, *o2;         // kFinStats: mean, var; kFinDot: sum_dy, sum_dy_xmu; kFinTrain: mean_out, invstd_out
  const double *w, *b;
  double *rm, *rv;
  double mom, eps;
  double *alpha, *beta;    // kFinTrain
};

__device__ __forceinline__ double warp_sum(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}

// Sums a, b and c over the block; thread 0 gets the totals. Ends with a barrier, so it can be reused.
__device__ __forceinline__ void block_sum3(double &a, double &b, double &c) {
  __shared__ double sa[32], sb[32], sc[32];
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
  a = warp_sum(a);
  b = warp_sum(b);
  c = warp_sum(c);
  if (lane == 0) {
    sa[wid] = a;
    sb[wid] = b;
    sc[wid] = c;
  }
  __syncthreads();
  if (wid == 0) {
    a = lane < nw ? sa[lane] : 0;
    b = lane < nw ? sb[lane] : 0;
    c = lane < nw ? sc[lane] : 0;
    a = warp_sum(a);
    b = warp_sum(b);
    c = warp_sum(c);
  }
  __syncthreads();
}

// fp32 statistics for float32 input: each loop step forms its 2–8 elements' sums in float (a GPU's
// double rate can be 1/64 of its float rate) and folds them into the thread's double sums, so the
// float rounding stays that of a few terms (the CPU kernels form float32 backward sums the same way).
// Float64 input stays double throughout. Block sums and the cross-block merge are in double.
template <typename T>
struct Acc {
  typedef double type;
};
template <>
struct Acc<float> {
  typedef float type;
};

template <typename T, int MODE, typename A>
__device__ __forceinline__ void acc(const T *x, const T *dy, int64_t i, A k, A &s1, A &s2) {
  if (MODE == kStats) {
    const A d = (A)x[i] - k;
    s1 += d;
    s2 += d * d;
  } else {
    const A g = (A)dy[i];
    s1 += g;
    s2 += ((A)x[i] - k) * g;
  }
}

// Four consecutive elements (16-byte aligned; two 16-byte loads for double). Shared with the
// elementwise kernels.
__device__ __forceinline__ void loadT4(const float *p, float v[4]) {
  const float4 f = __ldg(reinterpret_cast<const float4 *>(p));
  v[0] = f.x;
  v[1] = f.y;
  v[2] = f.z;
  v[3] = f.w;
}
__device__ __forceinline__ void loadT4(const double *p, double v[4]) {
  const double2 a = __ldg(reinterpret_cast<const double2 *>(p)), b = __ldg(reinterpret_cast<const double2 *>(p) + 1);
  v[0] = a.x;
  v[1] = a.y;
  v[2] = b.x;
  v[3] = b.y;
}

template <typename T, int MODE, typename A>
__device__ __forceinline__ void acc4(const T *x, const T *dy, int64_t i, A k, A &s1, A &s2) {
  T xv[4];
  loadT4(x + i, xv);
  if (MODE == kStats) {
#pragma unroll
    for (int q = 0; q < 4; q++) {
      const A d = (A)xv[q] - k;
      s1 += d;
      s2 += d * d;
    }
  } else {
    T gv[4];
    loadT4(dy + i, gv);
#pragma unroll
    for (int q = 0; q < 4; q++) {
      s1 += (A)gv[q];
      s2 += ((A)xv[q] - k) * (A)gv[q];
    }
  }
}

// Adds one loop step's float-formed sums into the thread's double sums and restarts them.
template <typename A>
__device__ __forceinline__ void fold(A &f1, A &f2, double &s1, double &s2) {
  s1 += (double)f1;
  s2 += (double)f2;
  f1 = 0;
  f2 = 0;
}

// The shift k is the per-channel value rounded to A; for the backward sums (k = the mean) the
// rounding r = kd − k is put back once: Σ(x−kd)·dy = Σ(x−k)·dy − r·Σdy. (For the statistics k is an
// element of x, exact in A, and r = 0.)
__device__ __forceinline__ void unshift(double kd, double k, double s1, double &s2) { s2 -= (kd - k) * s1; }

// A channel's merged sums → outputs. All partials of a channel share its shift K (statistics) so
// Chan's merge of their (count, mean, M2) reduces to adding (count, Σ(x−K), Σ(x−K)²), done in double.
template <typename T>
__device__ void finalize_channel(const RedArgs &a, const T *x, int64_t ch, double s1, double s2) {
  if (a.fin == kFinDot) {
    a.o1[ch] = s1;
    a.o2[ch] = s2;
    return;
  }
  const double count = (double)(a.n * a.s);
  const double k = (double)x[ch * a.s];
  const double mu = s1 / count;
  const double mean = k + mu, var = fmax(0.0, s2 - s1 * mu) / count;
  if (a.fin == kFinStats) {
    a.o1[ch] = mean;
    a.o2[ch] = var;
    return;
  }
  const double inv = 1.0 / sqrt(var + a.eps);
  if (a.rm) a.rm[ch] = a.mom * mean + (1 - a.mom) * a.rm[ch];
  if (a.rv) a.rv[ch] = a.mom * var * (count / (count - 1)) + (1 - a.mom) * a.rv[ch];
  a.o1[ch] = mean;
  a.o2[ch] = inv;
  const double al = inv * (a.w ? a.w[ch] : 1.0);
  a.alpha[ch] = al;
  a.beta[ch] = (a.b ? a.b[ch] : 0.0) - mean * al;
}

// After thread 0 wrote this block's partials: true in every thread of the block that finished last
// among the `expected` blocks sharing `counter` (which it resets).
__device__ __forceinline__ bool last_arrival(unsigned int *counter, unsigned expected) {
  __shared__ bool last;
  __threadfence();  // every writer's partials visible device-wide before the block arrives
  __syncthreads();
  if (threadIdx.x == 0) {
    last = atomicAdd(counter, 1u) == expected - 1;
    if (last) *counter = 0;
  }
  __syncthreads();
  if (last) __threadfence();
  return last;
}

// Plane layout: grid (slices, channel tiles); block (k, cy) handles channels cy, cy+gridDim.y, …
// The last of a channel's `slices` blocks merges that channel.
template <typename T, int MODE>
__global__ void __launch_bounds__(kThreads) reduce_plane(const T *x, const T *dy, RedArgs a) {
  const int64_t C = a.c, S = a.s, len = a.n * S;
  for (int64_t ch = blockIdx.y; ch < C; ch += gridDim.y) {
    typedef typename Acc<T>::type A;
    const double kd = MODE == kStats ? (double)x[ch * S] : a.mean_in[ch];
    const A k = (A)kd;
    int64_t j0 = len * blockIdx.x / a.slices, j1 = len * (blockIdx.x + 1) / a.slices;
    if (a.vec) {  // slice bounds on multiples of 4 (len is one)
      j0 &= ~(int64_t)3;
      j1 = blockIdx.x + 1 == (unsigned)a.slices ? len : (j1 & ~(int64_t)3);
    }
    double s1 = 0, s2 = 0;
    A f1 = 0, f2 = 0;
    if (a.flatidx) {  // short planes (vec implies S % 4 == 0): one division per four elements
      const bool small = len * C < 4294967296LL;
      for (int64_t e = j0 + 4 * threadIdx.x; e < j1; e += 4 * kThreads) {
        const int64_t nn = small ? (int64_t)((uint32_t)e / (uint32_t)S) : e / S;
        acc4<T, MODE, A>(x, dy, (nn * C + ch) * S + (e - nn * S), k, f1, f2);
        fold(f1, f2, s1, s2);
      }
    }
    int64_t j = a.flatidx ? j1 : j0, nn = j / S, s0 = j - nn * S;
    while (j < j1) {
      const int64_t seg = min(S - s0, j1 - j);
      const int64_t base = (nn * C + ch) * S + s0;
      if (a.vec) {
        int64_t t = 4 * threadIdx.x;
        for (; t + 4 * kThreads < seg; t += 8 * kThreads) {
          acc4<T, MODE, A>(x, dy, base + t, k, f1, f2);
          acc4<T, MODE, A>(x, dy, base + t + 4 * kThreads, k, f1, f2);
          fold(f1, f2, s1, s2);
        }
        for (; t < seg; t += 4 * kThreads) acc4<T, MODE, A>(x, dy, base + t, k, f1, f2);
      } else {
        int64_t t = threadIdx.x;
        for (; t + 3 * kThreads < seg; t += 4 * kThreads) {
          acc<T, MODE, A>(x, dy, base + t, k, f1, f2);
          acc<T, MODE, A>(x, dy, base + t + kThreads, k, f1, f2);
          acc<T, MODE, A>(x, dy, base + t + 2 * kThreads, k, f1, f2);
          acc<T, MODE, A>(x, dy, base + t + 3 * kThreads, k, f1, f2);
          fold(f1, f2, s1, s2);
        }
        for (; t < seg; t += kThreads) acc<T, MODE, A>(x, dy, base + t, k, f1, f2);
      }
      fold(f1, f2, s1, s2);  // the tail (at most 3 steps' elements)
      j += seg;
      nn++;
      s0 = 0;
    }
    double cnt = 0;
    unshift(kd, (double)k, s1, s2);
    block_sum3(s1, s2, cnt);
    if (threadIdx.x == 0) {
      const int64_t idx = ch * a.slices + blockIdx.x;
      a.p1[idx] = s1;
      a.p2[idx] = s2;
    }
    if (last_arrival(a.counter + ch, (unsigned)a.slices)) {
      double t1 = 0, t2 = 0, unused = 0;
      for (int sl = threadIdx.x; sl < a.slices; sl += blockDim.x) {
        t1 += __ldcg(a.p1 + ch * a.slices + sl);
        t2 += __ldcg(a.p2 + ch * a.slices + sl);
      }
      block_sum3(t1, t2, unused);
      if (threadIdx.x == 0) finalize_channel<T>(a, x, ch, t1, t2);
    }
  }
}

// Row layout: channels in groups of G whose columns (G·S) span `tpg` 32-column tiles; grid
// (groups × tpg, row slices), block 32 columns × 8 rows. The first column of each channel in a tile
// folds that channel's columns into one partial; the last block of a group merges the group.
template <typename T, int MODE>
__global__ void __launch_bounds__(kRowCols *kRowRows) reduce_row(const T *x, const T *dy, RedArgs a) {
  const int64_t C = a.c, S = a.s, L = C * S;
  const int tx = threadIdx.x % kRowCols, ty = threadIdx.x / kRowCols;
  const int64_t g = blockIdx.x / a.tpg, tile = blockIdx.x - g * a.tpg;
  const int64_t gc0 = g * a.G, gch = min(a.G, C - gc0);  // the group's first channel and channel count
  const int64_t lc = tile * kRowCols + tx;                  // column within the group
  const bool valid = lc < gch * S;
  const int64_t col = gc0 * S + lc;
  const int64_t r0 = a.n * blockIdx.y / a.slices, r1 = a.n * (blockIdx.y + 1) / a.slices;
  double s1 = 0, s2 = 0;
  if (valid) {
    typedef typename Acc<T>::type A;
    const int64_t ch = col / S;
    const double kd = MODE == kStats ? (double)x[ch * S] : a.mean_in[ch];
    const A k = (A)kd;
    A f1 = 0, f2 = 0;
    int64_t r = r0 + ty;
    for (; r + kRowRows < r1; r += 2 * kRowRows) {
      acc<T, MODE, A>(x, dy, r * L + col, k, f1, f2);
      acc<T, MODE, A>(x, dy, (r + kRowRows) * L + col, k, f1, f2);
      fold(f1, f2, s1, s2);
    }
    for (; r < r1; r += kRowRows) acc<T, MODE, A>(x, dy, r * L + col, k, f1, f2);
    fold(f1, f2, s1, s2);
    unshift(kd, (double)k, s1, s2);
  }
  __shared__ double sh1[kRowRows][kRowCols], sh2[kRowRows][kRowCols];
  sh1[ty][tx] = s1;
  sh2[ty][tx] = s2;
  __syncthreads();
  if (ty == 0) {
    for (int q = 1; q < kRowRows; q++) {
      s1 += sh1[q][tx];
      s2 += sh2[q][tx];
    }
    sh1[0][tx] = s1;
    sh2[0][tx] = s2;
  }
  __syncthreads();
  if (ty == 0 && valid) {
    const int64_t lch = lc / S;
    if (tx == 0 || (lc - 1) / S != lch) {  // head lane of its channel in this tile
      for (int q = tx + 1; q < kRowCols && tile * kRowCols + q < gch * S && (tile * kRowCols + q) / S == lch; q++) {
        s1 += sh1[0][q];
        s2 += sh2[0][q];
      }
      const int64_t idx = ((int64_t)blockIdx.y * gridDim.x + blockIdx.x) * kRowCols + tx;
      a.p1[idx] = s1;
      a.p2[idx] = s2;
    }
  }
  if (!last_arrival(a.counter + g, (unsigned)(a.tpg * a.slices))) return;
  // merge: one partial per (slice, tile a channel touches), at the channel's head lane in that tile
  if (a.G > 1) {  // several channels per group, one tile: a thread per channel
    for (int64_t j = threadIdx.x; j < gch; j += blockDim.x) {
      double t1 = 0, t2 = 0;
      const int64_t idx0 = (int64_t)blockIdx.x * kRowCols + j * S;  // tpg == 1: tile = group
      for (int sl = 0; sl < a.slices; sl++) {
        const int64_t idx = (int64_t)sl * gridDim.x * kRowCols + idx0;
        t1 += __ldcg(a.p1 + idx);
        t2 += __ldcg(a.p2 + idx);
      }
      finalize_channel<T>(a, x, gc0 + j, t1, t2);
    }
  } else {  // one channel over tpg tiles: the whole block sums (slice, tile) partials
    double t1 = 0, t2 = 0, unused = 0;
    for (int64_t q = threadIdx.x; q < a.slices * a.tpg; q += blockDim.x) {
      const int64_t sl = q / a.tpg, t = q - sl * a.tpg;
      const int64_t idx = (sl * gridDim.x + g * a.tpg + t) * kRowCols;  // head lane 0 of every tile
      t1 += __ldcg(a.p1 + idx);
      t2 += __ldcg(a.p2 + idx);
    }
    block_sum3(t1, t2, unused);
    if (threadIdx.x == 0) finalize_channel<T>(a, x, gc0, t1, t2);
  }
}


// Kernels of the device-resident ops (normscope_device.h): included by cuda_device.cu inside its
// anonymous namespace. Every sum is formed in double and rounded once to T; every reduction is a
// fixed-shape tree (per-thread strided sums, warp shuffles, one shared-memory step), so results are
// deterministic for a given launch shape. Loops are grid-stride (or tile-stride) so any size fits
// the grid limits the host side chooses.
#pragma once

constexpr int kBlock = 256;  // threads per block, every kernel (a multiple of 32)
constexpr int kTile = 16;    // GEMM output tile (kTile × kTile threads = kBlock)

// ---------------------------------------------------------------- block reductions

__device__ __forceinline__ double dwarp_sum(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ double dwarp_max(double v) {
  for (int o = 16; o > 0; o >>= 1) v = fmax(v, __shfl_down_sync(0xffffffffu, v, o));
  return v;
}

// Sum over the block; thread 0 gets the total. Every thread must call it; ends with a barrier.
__device__ __forceinline__ double dblock_sum(double v) {
  __shared__ double sh[32];
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
  v = dwarp_sum(v);
  if (lane == 0) sh[wid] = v;
  __syncthreads();
  if (wid == 0) v = dwarp_sum(lane < nw ? sh[lane] : 0.0);
  __syncthreads();
  return v;
}

// ---------------------------------------------------------------- elementwise

enum EwOp { kAdd, kSub, kMul, kScale, kRelu, kReluBwd, kFill };

// Each op in double, rounded once to T (exact for add/sub/mul of floats: double holds the result
// before the one rounding to float; the same as the TypeScript ops' double arithmetic).
template <typename T, int OP>
__global__ void ew_kernel(const T *a, const T *b, T *out, double s, int64_t n) {
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  const double fill = OP == kFill ? (double)a[0] * s : 0.0;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    if (OP == kAdd) out[i] = (T)((double)a[i] + (double)b[i]);
    if (OP == kSub) out[i] = (T)((double)a[i] - (double)b[i]);
    if (OP == kMul) out[i] = (T)((double)a[i] * (double)b[i]);
    if (OP == kScale) out[i] = (T)((double)a[i] * s);
    if (OP == kRelu) out[i] = a[i] > (T)0 ? a[i] : (T)0;
    if (OP == kReluBwd) out[i] = a[i] > (T)0 ? b[i] : (T)0;  // a = relu's output y, b = dy
    if (OP == kFill) out[i] = (T)fill;
  }
}

template <typename S, typename D>
__global__ void convert_kernel(const S *src, D *dst, int64_t n) {
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) dst[i] = (D)src[i];
}

// mean[c] = rm[c], invstd[c] = 1/sqrt(rv[c] + eps) (sqrt and division correctly rounded in double).
template <typename T>
__global__ void bn_eval_stats_kernel(const T *rm, const T *rv, double eps, double *mean, double *invstd, int64_t c) {
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < c; i += stride) {
    mean[i] = (double)rm[i];
    invstd[i] = 1.0 / sqrt((double)rv[i] + eps);
  }
}

template <typename T>
__global__ void bn_param_grads_kernel(const double *sum_dy, const double *sum_dy_xmu, const double *invstd, T *dw,
                                      T *db, int64_t c) {
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < c; i += stride) {
    if (dw) dw[i] = (T)(sum_dy_xmu[i] * invstd[i]);
    if (db) db[i] = (T)sum_dy[i];
  }
}

// k = 2·g[0]/n; gx = k·(x − t), gt = −gx (the negation of the rounded gx, as the TypeScript op).
template <typename T>
__global__ void mse_backward_kernel(const T *x, const T *t, const T *g, T *gx, T *gt, int64_t n) {
  const double k = 2.0 * (double)g[0] / (double)n;
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    const T v = (T)(k * ((double)x[i] - (double)t[i]));
    if (gx) gx[i] = v;
    if (gt) gt[i] = -v;
  }
}

template <typename T>
__global__ void ce_backward_kernel(const double *probs, const int64_t *target, const T *g, T *gz, int64_t rows,
                                   int64_t classes) {
  const double k = (double)g[0] / (double)rows;
  const int64_t n = rows * classes, stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int64_t r = i / classes, c = i - r * classes;
    gz[i] = (T)(k * (probs[i] - (c == target[r] ? 1.0 : 0.0)));
  }
}

struct SgdArgs {
  double lr, momentum, dampening, weight_decay;
  int nesterov, first;
};

// torch.optim.SGD for one parameter, in double (engine/optim/sgd.ts), w rounded once to T.
template <typename T>
__global__ void sgd_kernel(T *w, const T *g, double *buf, int64_t n, SgdArgs a) {
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    const double wv = (double)w[i];
    double d = (double)g[i] + a.weight_decay * wv;
    if (a.momentum != 0) {
      const double b = a.first ? d : a.momentum * buf[i] + (1 - a.dampening) * d;
      buf[i] = b;
      d = a.nesterov ? d + a.momentum * b : b;
    }
    w[i] = (T)(wv - a.lr * d);
  }
}

// ---------------------------------------------------------------- full reductions (two passes)

enum RedOp { kRedSum, kRedSqDiff };

// Pass 1: block b's strided share of Σ a (or Σ(a − b)²) into part[b].
template <typename In, int OP>
__global__ void partial_kernel(const In *a, const In *b, int64_t n, double *part) {
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  double s = 0;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    if (OP == kRedSum) {
      s += (double)a[i];
    } else {
      const double d = (double)a[i] - (double)b[i];
      s += d * d;
    }
  }
  s = dblock_sum(s);
  if (threadIdx.x == 0) part[blockIdx.x] = s;
}

// Pass 2 (one block): out[0] = (Σ part) / div, rounded once to T.
template <typename T>
__global__ void finish_kernel(const double *part, int parts, double div, T *out) {
  double s = 0;
  for (int i = threadIdx.x; i < parts; i += blockDim.x) s += part[i];
  s = dblock_sum(s);
  if (threadIdx.x == 0) out[0] = (T)(s / div);
}

// Cross entropy forward: a warp per row (rows strided over the grid), lanes over classes. Writes the
// row's softmax (in double) and adds lse − z[t] into the block's partial (pass 1 of the loss mean).
template <typename T>
__global__ void ce_forward_kernel(const T *z, const int64_t *target, double *probs, int64_t rows, int64_t classes,
                                  double *part) {
  __shared__ double shm[kBlock / 32], shs[kBlock / 32];
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, wpb = blockDim.x >> 5;
  double loss = 0;  // lane 0's running sum of its warp's rows
  // The loop bound is the same for every warp of a block, so all reach the barriers.
  for (int64_t base = (int64_t)blockIdx.x * wpb; base < rows; base += (int64_t)gridDim.x * wpb) {
    const int64_t r = base + wid;
    const bool valid = r < rows;
    const T *zr = z + (valid ? r : 0) * classes;
    double m = -INFINITY;
    if (valid)
      for (int64_t c = lane; c < classes; c += 32) m = fmax(m, (double)zr[c]);
    m = dwarp_max(m);
    if (lane == 0) shm[wid] = m;
    __syncthreads();
    m = shm[wid];
    double se = 0;
    if (valid)
      for (int64_t c = lane; c < classes; c += 32) se += exp((double)zr[c] - m);
    se = dwarp_sum(se);
    if (lane == 0) shs[wid] = se;
    __syncthreads();
    const double lse = m + log(shs[wid]);
    if (valid) {
      for (int64_t c = lane; c < classes; c += 32) probs[r * classes + c] = exp((double)zr[c] - lse);
      if (lane == 0) loss += lse - (double)zr[target[r]];
    }
    __syncthreads();  // shm/shs are rewritten next round
  }
  loss = dblock_sum(lane == 0 ? loss : 0.0);
  if (threadIdx.x == 0) part[blockIdx.x] = loss;
}

// out[ch] = Σ_{n, s} a[(n·C + ch)·S + s]: a block per channel (channels strided over the grid).
// Linear's db (S = 1) and conv2d's db.
template <typename T>
__global__ void chan_sum_kernel(const T *a, int64_t N, int64_t C, int64_t S, T *out) {
  const int64_t len = N * S;
  for (int64_t ch = blockIdx.x; ch < C; ch += gridDim.x) {
    double s = 0;
    for (int64_t e = threadIdx.x; e < len; e += blockDim.x) {
      const int64_t n = e / S;
      s += (double)a[(n * C + ch) * S + (e - n * S)];
    }
    s = dblock_sum(s);
    if (threadIdx.x == 0) out[ch] = (T)s;
  }
}

// ---------------------------------------------------------------- linear: tiled GEMM

// C[m, n] = Σ_k A[m·sam + k·sak]·B[k·sbk + n·sbn] (+ bias[n]), C (M, N) row-major. A 16×16 output
// tile per block (tiles strided over the grid), 16-wide k steps through shared memory in double.
// Tile loads map consecutive threads to the operand's unit-stride dimension (coalesced either way);
// k is summed in ascending order, so the result is the plain dot product's, rounded once.
template <typename T>
__global__ void __launch_bounds__(kBlock) gemm_kernel(const T *A, int64_t sam, int64_t sak, const T *B, int64_t sbk,
                                                      int64_t sbn, const T *bias, T *C, int64_t M, int64_t N,
                                                      int64_t K) {
  __shared__ double As[kTile][kTile + 1], Bs[kTile][kTile + 1];  // As[m][k], Bs[k][n]
  const int tx = threadIdx.x % kTile, ty = threadIdx.x / kTile;
  const int64_t tilesM = (M + kTile - 1) / kTile, tilesN = (N + kTile - 1) / kTile;
  const bool aRowFast = sak == 1, bColFast = sbn == 1;
  for (int64_t tm = blockIdx.y; tm < tilesM; tm += gridDim.y) {
    for (int64_t tn = blockIdx.x; tn < tilesN; tn += gridDim.x) {
      const int64_t m0 = tm * kTile, n0 = tn * kTile;
      double acc = 0;
      for (int64_t k0 = 0; k0 < K; k0 += kTile) {
        {  // A tile: thread (ty, tx) loads As[ty][tx] if k is fast, else As[tx][ty]
          const int im = aRowFast ? ty : tx, ik = aRowFast ? tx : ty;
          const int64_t m = m0 + im, k = k0 + ik;
          As[im][ik] = m < M && k < K ? (double)A[m * sam + k * sak] : 0.0;
        }
        {  // B tile: Bs[ty][tx] if n is fast, else Bs[tx][ty]
          const int ik = bColFast ? ty : tx, in = bColFast ? tx : ty;
          const int64_t k = k0 + ik, n = n0 + in;
          Bs[ik][in] = k < K && n < N ? (double)B[k * sbk + n * sbn] : 0.0;
        }
        __syncthreads();
#pragma unroll
        for (int q = 0; q < kTile; q++) acc += As[ty][q] * Bs[q][tx];
        __syncthreads();
      }
      const int64_t m = m0 + ty, n = n0 + tx;
      if (m < M && n < N) C[m * N + n] = (T)(bias ? acc + (double)bias[n] : acc);
    }
  }
}

// ---------------------------------------------------------------- conv2d (groups 1, zero padding)

struct ConvDims {
  int64_t n, c, h, w, o, kh, kw, sh, sw, ph, pw, oh, ow;
};

// The four indices (a, b, c, d) of flat index idx in a row-major (A, B, C, D) array (A implied).
struct Index4 {
  int64_t a, b, c, d;
};
__device__ __forceinline__ Index4 unravel4(int64_t idx, int64_t B, int64_t C, int64_t D) {
  Index4 r;
  r.d = idx % D;
  idx /= D;
  r.c = idx % C;
  idx /= C;
  r.b = idx % B;
  r.a = idx / B;
  return r;
}

// A thread per output y[n, o, i, j].
template <typename T>
__global__ void conv_forward_kernel(const T *x, const T *wt, const T *b, T *y, ConvDims d) {
  const int64_t total = d.n * d.o * d.oh * d.ow, stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += stride) {
    const Index4 u = unravel4(idx, d.o, d.oh, d.ow);
    const int64_t n = u.a, o = u.b, i = u.c, j = u.d;
    double acc = b ? (double)b[o] : 0.0;
    for (int64_t c = 0; c < d.c; c++) {
      const T *xp = x + (n * d.c + c) * d.h * d.w;
      const T *wp = wt + (o * d.c + c) * d.kh * d.kw;
      for (int64_t p = 0; p < d.kh; p++) {
        const int64_t hi = i * d.sh + p - d.ph;
        if (hi < 0 || hi >= d.h) continue;
        for (int64_t q = 0; q < d.kw; q++) {
          const int64_t wj = j * d.sw + q - d.pw;
          if (wj < 0 || wj >= d.w) continue;
          acc += (double)xp[hi * d.w + wj] * (double)wp[p * d.kw + q];
        }
      }
    }
    y[idx] = (T)acc;
  }
}

// A thread per input gradient dx[n, c, hh, ww]: the outputs (i, j) with i·sh + p − ph = hh.
template <typename T>
__global__ void conv_grad_input_kernel(const T *dy, const T *wt, T *dx, ConvDims d) {
  const int64_t total = d.n * d.c * d.h * d.w, stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += stride) {
    const Index4 u = unravel4(idx, d.c, d.h, d.w);
    const int64_t n = u.a, c = u.b, hh = u.c, ww = u.d;
    double acc = 0;
    for (int64_t o = 0; o < d.o; o++) {
      const T *gp = dy + (n * d.o + o) * d.oh * d.ow;
      const T *wp = wt + (o * d.c + c) * d.kh * d.kw;
      for (int64_t p = 0; p < d.kh; p++) {
        const int64_t ti = hh + d.ph - p;
        if (ti < 0 || ti % d.sh != 0 || ti / d.sh >= d.oh) continue;
        const int64_t i = ti / d.sh;
        for (int64_t q = 0; q < d.kw; q++) {
          const int64_t tj = ww + d.pw - q;
          if (tj < 0 || tj % d.sw != 0 || tj / d.sw >= d.ow) continue;
          acc += (double)gp[i * d.ow + tj / d.sw] * (double)wp[p * d.kw + q];
        }
      }
    }
    dx[idx] = (T)acc;
  }
}

// A block per weight gradient dw[o, c, p, q] (strided over the grid): Σ over (n, i, j).
template <typename T>
__global__ void conv_grad_weight_kernel(const T *dy, const T *x, T *dw, ConvDims d) {
  const int64_t total = d.o * d.c * d.kh * d.kw, len = d.n * d.oh * d.ow, plane = d.oh * d.ow;
  for (int64_t widx = blockIdx.x; widx < total; widx += gridDim.x) {
    const Index4 u = unravel4(widx, d.c, d.kh, d.kw);
    const int64_t o = u.a, c = u.b, p = u.c, q = u.d;
    double s = 0;
    for (int64_t e = threadIdx.x; e < len; e += blockDim.x) {
      const int64_t n = e / plane, r = e - n * plane, i = r / d.ow, j = r - i * d.ow;
      const int64_t hi = i * d.sh + p - d.ph, wj = j * d.sw + q - d.pw;
      if (hi < 0 || hi >= d.h || wj < 0 || wj >= d.w) continue;
      s += (double)dy[(n * d.o + o) * plane + r] * (double)x[((n * d.c + c) * d.h + hi) * d.w + wj];
    }
    s = dblock_sum(s);
    if (threadIdx.x == 0) dw[widx] = (T)s;
  }
}

// CUDA elementwise kernels (normalise, backward dx, eval backward) and per-channel coefficients:
// included by cuda_kernels.cu inside its anonymous namespace.
#pragma once

enum ElemMode { kAffine = 0, kBwd = 1, kScale = 2 };

template <typename T, int MODE>
__device__ __forceinline__ T elem(T a, T b, double k0, double k1, double k2, double k3) {
  if (MODE == kAffine) return a * (T)k0 + (T)k1;
  if (MODE == kBwd) return (a - (T)k0 - (b - (T)k1) * (T)k2) * (T)k3;
  return a * (T)k0;
}

__device__ __forceinline__ void store4(float *p, const float v[4]) {
  *reinterpret_cast<float4 *>(p) = make_float4(v[0], v[1], v[2], v[3]);
}
__device__ __forceinline__ void store4(double *p, const double v[4]) {
  reinterpret_cast<double2 *>(p)[0] = make_double2(v[0], v[1]);
  reinterpret_cast<double2 *>(p)[1] = make_double2(v[2], v[3]);
}
// S % 4 == 0 and 16-byte aligned data: four elements (one channel) per thread, vector loads/stores.
template <typename T, int MODE>
__global__ void elem_vec4(const T *a, const T *b, T *out, int64_t total, int64_t C, int64_t S, const double *k0,
                          const double *k1, const double *k2, const double *k3) {
  const int64_t i = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) * 4;
  if (i >= total) return;
  const int64_t ch = total < 4294967296LL ? (int64_t)(((uint32_t)i / (uint32_t)S) % (uint32_t)C) : (i / S) % C;
  const double c0 = k0[ch], c1 = k1 ? k1[ch] : 0, c2 = k2 ? k2[ch] : 0, c3 = k3 ? k3[ch] : 0;
  T av[4], bv[4] = {0, 0, 0, 0}, o[4];
  loadT4(a + i, av);
  if (b) loadT4(b + i, bv);
#pragma unroll
  for (int q = 0; q < 4; q++) o[q] = elem<T, MODE>(av[q], bv[q], c0, c1, c2, c3);
  store4(out + i, o);
}

// Large planes: one block per (plane, chunk); one division per block.
template <typename T, int MODE>
__global__ void elem_plane(const T *a, const T *b, T *out, int64_t C, int64_t S, int64_t chunks,
                           const double *k0, const double *k1, const double *k2, const double *k3) {
  const int64_t plane = blockIdx.x / chunks, chunk = blockIdx.x - plane * chunks;
  const int64_t ch = plane % C;
  const double c0 = k0[ch], c1 = k1 ? k1[ch] : 0, c2 = k2 ? k2[ch] : 0, c3 = k3 ? k3[ch] : 0;
  const int64_t per = (S + chunks - 1) / chunks;
  const int64_t lo = chunk * per, hi = min(S, lo + per);
  const int64_t base = plane * S;
  for (int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x)
    out[base + i] = elem<T, MODE>(a[base + i], b ? b[base + i] : (T)0, c0, c1, c2, c3);
}

// Small planes: flat grid-stride loop, channel from the index.
template <typename T, int MODE>
__global__ void elem_flat(const T *a, const T *b, T *out, int64_t total, int64_t C, int64_t S,
                          const double *k0, const double *k1, const double *k2, const double *k3) {
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t ch = total < 4294967296LL ? (int64_t)(((uint32_t)i / (uint32_t)S) % (uint32_t)C) : (i / S) % C;
    out[i] = elem<T, MODE>(a[i], b ? b[i] : (T)0, k0[ch], k1 ? k1[ch] : 0, k2 ? k2[ch] : 0, k3 ? k3[ch] : 0);
  }
}

enum CoefMode { kCoefAffine = 0, kCoefBwd = 1, kCoefScale = 2, kCoefEmpty = 3 };

// Per-channel coefficients on the device (device-pointer API: the sums may live there).
__global__ void coef_kernel(int mode, int64_t C, const double *mean, const double *invstd, const double *w,
                            const double *b, const double *sum_dy, const double *sum_dy_xmu, double count, double eps,
                            double *o0, double *o1, double *o2) {
  for (int64_t ch = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; ch < C; ch += (int64_t)gridDim.x * blockDim.x) {
    if (mode == kCoefEmpty) {  // forward-train on an empty batch
      o0[ch] = 0;
      o1[ch] = 1.0 / sqrt(eps);
      continue;
    }
    const double inv = invstd[ch], sc = inv * (w ? w[ch] : 1.0);
    if (mode == kCoefAffine) {
      o0[ch] = sc;
      o1[ch] = (b ? b[ch] : 0.0) - mean[ch] * sc;
    } else if (mode == kCoefBwd) {
      o0[ch] = sum_dy[ch] / count;
      o1[ch] = (sum_dy_xmu[ch] / count) * inv * inv;
      o2[ch] = sc;
    } else {
      o0[ch] = sc;
    }
  }
}


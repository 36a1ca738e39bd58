// A CPU emulation of the part of CUDA that native/kernels/cuda_kernels.cu uses, so the CUDA kernels run
// (slowly, for correctness only) on a machine without a GPU. Compiled with g++ in place of the real
// <cuda_runtime.h> after native/cuda-emu/translate.mjs has rewritten `k<<<grid, block>>>(args)` into
// `emu::launch(grid, block, k, args)`.
//
// Execution model: a launch runs its blocks one at a time, in a seeded random order (so code that
// assumes an order between blocks, like a "last block merges" counter, is exercised in many orders);
// the threads of a block are fibers on one OS thread that switch only at __syncthreads and warp
// shuffles. Hence `__shared__` can be a function-local `static`: only one block is ever live.
// What it checks that a plain C++ port would not: barrier semantics (divergent barriers deadlock and
// are reported), warp-shuffle semantics (a mask naming an exited lane is an error), launch limits
// (grid.y ≤ 65535, ≤ 1024 threads per block), device-pointer ranges in cudaMemcpy/cudaMemset/cudaFree,
// uninitialised device memory (cudaMalloc fills with NaN bytes), and allocation failure under a
// configurable memory size. What it cannot check: timing, memory coalescing, real concurrency
// between blocks (they never overlap here), or races the hardware would expose.
//
// Environment: NS_CUDA_EMU_DEVICES (0 → cudaGetDeviceCount fails with cudaErrorNoDevice; default 1),
// NS_CUDA_EMU_MEM_MB (device memory, default 4096), NS_CUDA_EMU_SMS (multiprocessors, default 4),
// NS_CUDA_EMU_SEED (block order; default 1), NS_CUDA_EMU_MAX_GRID_Y (grid.y limit, default 65535: a
// small one exercises code that loops over grid.y-sized tiles without launching 65535 blocks).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <tuple>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static

struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(16) float4 {
  float x, y, z, w;
};
struct alignas(16) double2 {
  double x, y;
};
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline double2 make_double2(double x, double y) { return {x, y}; }

// The running thread's coordinates; the scheduler sets them before resuming a fiber.
extern uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;

template <typename T>
inline T min(T a, T b) {
  return b < a ? b : a;
}
template <typename T>
inline T max(T a, T b) {
  return a < b ? b : a;
}

template <typename T>
inline T __ldg(const T *p) {
  return *p;
}
template <typename T>
inline T __ldcg(const T *p) {
  return *p;
}

// Blocks never overlap, so a fence has nothing to order; the compiler barrier keeps stores in place.
inline void __threadfence() { asm volatile("" ::: "memory"); }

// Only one block runs at a time and its threads switch only at barriers and shuffles, so a plain
// read-modify-write is atomic here (shared or global memory alike).
inline unsigned atomicAdd(unsigned *p, unsigned v) {
  const unsigned old = *p;
  *p = old + v;
  return old;
}
inline unsigned long long atomicAdd(unsigned long long *p, unsigned long long v) {
  const unsigned long long old = *p;
  *p = old + v;
  return old;
}

namespace emu {
void syncthreads();
// Exchanges 8 bytes among the lanes of the calling warp named in `mask`; returns lane (lane+delta)'s.
uint64_t shfl_down(unsigned mask, uint64_t v, unsigned delta);
void run_grid(dim3 grid, dim3 block, const std::function<void()> &body);
}  // namespace emu

inline void __syncthreads() {
  asm volatile("" ::: "memory");
  emu::syncthreads();
  asm volatile("" ::: "memory");
}

template <typename T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta) {
  static_assert(sizeof(T) <= 8, "__shfl_down_sync: at most 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  bits = emu::shfl_down(mask, bits, delta);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}

// ---------------------------------------------------------------- runtime API

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorLaunchFailure = 719,
};
typedef cudaError_t cudaError;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
};

enum cudaDeviceAttr { cudaDevAttrMaxGridDimY = 6, cudaDevAttrMultiProcessorCount = 16 };

struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  int multiProcessorCount;
};

cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaGetDevice(int *dev);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int dev);
cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int dev);
cudaError_t cudaMalloc(void **p, size_t bytes);
cudaError_t cudaFree(void *p);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemset(void *p, int value, size_t bytes);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaGetLastError();
const char *cudaGetErrorString(cudaError_t e);
const char *cudaGetErrorName(cudaError_t e);

namespace emu {
// Launches run synchronously; the arguments are copied, as a real launch copies them.
template <typename... P, typename... A>
void launch(dim3 grid, dim3 block, void (*kernel)(P...), A &&...args) {
  auto body = [kernel, tup = std::make_tuple(static_cast<P>(std::forward<A>(args))...)]() {
    std::apply(kernel, tup);
  };
  run_grid(grid, block, body);
}
}  // namespace emu

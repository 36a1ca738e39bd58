// The CUDA emulator's runtime API: device memory on the host heap with range checks, errors, and one
// emulated device (see include/cuda_runtime.h for the environment variables).
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>

#include "cuda_runtime.h"
#include "runtime_state.h"

namespace emu {
namespace {

std::mutex g_mem_mu;
std::map<uintptr_t, size_t> g_allocs;  // start → bytes
size_t g_used = 0;
// Errors may be set and read from different threads (the addon runs in worker threads too).
std::atomic<cudaError_t> g_last{cudaSuccess}, g_sticky{cudaSuccess};

size_t mem_limit() { return (size_t)env_u64("NS_CUDA_EMU_MEM_MB", 4096) << 20; }

// True when [p, p+bytes) lies inside one device allocation (caller holds g_mem_mu).
bool in_device(const void *p, size_t bytes) {
  const uintptr_t a = (uintptr_t)p;
  auto it = g_allocs.upper_bound(a);
  if (it == g_allocs.begin()) return false;
  --it;
  return a >= it->first && a - it->first + bytes <= it->second && (bytes > 0 || a < it->first + it->second);
}

cudaError_t fail(cudaError_t e, const char *what) {
  std::fprintf(stderr, "cuda-emu: %s\n", what);
  g_last = e;
  return e;
}

}  // namespace

uint64_t env_u64(const char *name, uint64_t fallback) {
  const char *v = std::getenv(name);
  if (!v || !*v) return fallback;
  char *end = nullptr;
  const unsigned long long r = std::strtoull(v, &end, 10);
  return end && *end == '\0' ? (uint64_t)r : fallback;
}

unsigned max_grid_y() {
  const uint64_t v = env_u64("NS_CUDA_EMU_MAX_GRID_Y", 65535);
  return v >= 1 && v <= 65535 ? (unsigned)v : 65535;
}

void set_launch_error(cudaError_t e) { g_last = e; }
void set_sticky_error(cudaError_t e) {
  g_sticky = e;
  g_last = e;
}
cudaError_t sticky_error() { return g_sticky; }
void reset_sticky_error() {
  g_sticky = cudaSuccess;
  g_last = cudaSuccess;
}

}  // namespace emu

using emu::g_allocs;
using emu::g_mem_mu;

cudaError_t cudaGetDeviceCount(int *count) {
  if (emu::env_u64("NS_CUDA_EMU_DEVICES", 1) == 0) {
    *count = 0;
    emu::g_last = cudaErrorNoDevice;
    return cudaErrorNoDevice;
  }
  *count = 1;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int *dev) {
  *dev = 0;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int dev) {
  if (dev != 0) return emu::fail(cudaErrorInvalidValue, "cudaGetDeviceProperties: no such device");
  std::memset(prop, 0, sizeof *prop);
  std::snprintf(prop->name, sizeof prop->name, "NormScope CUDA emulator (CPU)");
  prop->totalGlobalMem = emu::mem_limit();
  prop->multiProcessorCount = (int)emu::env_u64("NS_CUDA_EMU_SMS", 4);
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int dev) {
  if (dev != 0) return emu::fail(cudaErrorInvalidValue, "cudaDeviceGetAttribute: no such device");
  if (attr == cudaDevAttrMultiProcessorCount) {
    *value = (int)emu::env_u64("NS_CUDA_EMU_SMS", 4);
  } else if (attr == cudaDevAttrMaxGridDimY) {
    *value = (int)emu::max_grid_y();
  } else {
    return emu::fail(cudaErrorInvalidValue, "cudaDeviceGetAttribute: attribute not emulated");
  }
  return cudaSuccess;
}

cudaError_t cudaMalloc(void **p, size_t bytes) {
  std::lock_guard<std::mutex> lk(g_mem_mu);
  *p = nullptr;
  const size_t rounded = (bytes + 255) & ~(size_t)255;
  if (rounded == 0) return cudaSuccess;  // as CUDA: no allocation, a null pointer
  if (emu::g_used + rounded > emu::mem_limit())
    return emu::fail(cudaErrorMemoryAllocation, "cudaMalloc: out of emulated device memory");
  void *m = std::aligned_alloc(256, rounded);
  if (!m) return emu::fail(cudaErrorMemoryAllocation, "cudaMalloc: the host is out of memory");
  std::memset(m, 0xFF, rounded);  // NaN in every float and double: reading before writing shows
  g_allocs[(uintptr_t)m] = bytes;
  emu::g_used += rounded;
  *p = m;
  return cudaSuccess;
}

cudaError_t cudaFree(void *p) {
  if (!p) return cudaSuccess;
  std::lock_guard<std::mutex> lk(g_mem_mu);
  auto it = g_allocs.find((uintptr_t)p);
  if (it == g_allocs.end()) return emu::fail(cudaErrorInvalidDevicePointer, "cudaFree: not a device allocation");
  emu::g_used -= (it->second + 255) & ~(size_t)255;
  g_allocs.erase(it);
  std::free(p);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
  if (const cudaError_t e = emu::g_sticky; e != cudaSuccess) return e;
  std::lock_guard<std::mutex> lk(g_mem_mu);
  const bool dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (bytes == 0) return cudaSuccess;
  if (dst_dev != emu::in_device(dst, bytes))
    return emu::fail(cudaErrorInvalidValue, dst_dev ? "cudaMemcpy: destination is not (wholly) device memory"
                                                    : "cudaMemcpy: destination is device memory");
  if (src_dev != emu::in_device(src, bytes))
    return emu::fail(cudaErrorInvalidValue,
                     src_dev ? "cudaMemcpy: source is not (wholly) device memory" : "cudaMemcpy: source is device memory");
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemset(void *p, int value, size_t bytes) {
  if (const cudaError_t e = emu::g_sticky; e != cudaSuccess) return e;
  std::lock_guard<std::mutex> lk(g_mem_mu);
  if (bytes == 0) return cudaSuccess;
  if (!emu::in_device(p, bytes)) return emu::fail(cudaErrorInvalidValue, "cudaMemset: not (wholly) device memory");
  std::memset(p, value, bytes);
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() { return emu::g_sticky.load(); }

cudaError_t cudaGetLastError() {
  return emu::g_sticky != cudaSuccess ? emu::g_sticky.load() : emu::g_last.exchange(cudaSuccess);
}

const char *cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}

const char *cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevicePointer: return "invalid device pointer";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
  }
  return "unknown error";
}

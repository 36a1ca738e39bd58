// Tests of the CUDA emulator itself: that it runs what a GPU runs (barriers, shuffles, thread and block
// coordinates, a last-block-merges counter in every block order, 64-bit atomic adds in shared and
// global memory) and refuses what a GPU would fail on (divergent barriers, a shuffle naming an exited
// lane, launch limits, bad device pointers, memory exhaustion, no device). Prints one line per failed
// check; exit status 0 when all pass.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cuda_runtime.h"
#include "runtime_state.h"

static int failures = 0, checks = 0;

#define CHECK(cond, ...)                    \
  do {                                      \
    checks++;                               \
    if (!(cond)) {                          \
      failures++;                           \
      std::printf("FAIL %s: ", #cond);      \
      std::printf(__VA_ARGS__);             \
      std::printf("\n");                    \
    }                                       \
  } while (0)

// Reverses each block's slice through shared memory: needs the barrier between writes and reads.
__global__ void reverse_kernel(const int *in, int *out) {
  __shared__ int sh[256];
  const int base = blockIdx.x * blockDim.x;
  sh[threadIdx.x] = in[base + threadIdx.x];
  __syncthreads();
  out[base + threadIdx.x] = sh[blockDim.x - 1 - threadIdx.x];
}

__global__ void warp_sum_kernel(double *out) {
  double v = threadIdx.x % 32 + 0.5;
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  if (threadIdx.x % 32 == 0) out[blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32] = v;
}

__global__ void coords_kernel(unsigned *out) {
  const unsigned t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  const unsigned b = blockIdx.x + gridDim.x * blockIdx.y;
  out[b * blockDim.x * blockDim.y * blockDim.z + t] = threadIdx.x | threadIdx.y << 8 | threadIdx.z << 16 | blockIdx.x << 20 |
                                                      blockIdx.y << 26;
}

// Every block adds its partial; the last to arrive (whichever it is) writes the total and resets.
__global__ void last_block_kernel(const double *part, unsigned *counter, double *total, int *mergers) {
  __shared__ bool last;
  __syncthreads();
  if (threadIdx.x == 0) {
    last = atomicAdd(counter, 1u) == gridDim.x - 1;
    if (last) *counter = 0;
  }
  __syncthreads();
  if (last && threadIdx.x == 0) {
    double s = 0;
    for (unsigned i = 0; i < gridDim.x; i++) s += part[i];
    *total = s;
    ++*mergers;
  }
}

// Counts in[i] % 8 into per-block shared bins (64-bit atomics), merged into global bins with 64-bit
// atomics; the returned old values of the shared adds must each be seen once (0..count-1 per bin).
__global__ void atomic_u64_kernel(const int *in, int n, unsigned long long *bins, unsigned long long *olds_sum) {
  __shared__ unsigned long long sh[8];
  if (threadIdx.x < 8) sh[threadIdx.x] = 0;
  __syncthreads();
  unsigned long long seen = 0;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    seen += atomicAdd(&sh[in[i] % 8], 1ull);
  atomicAdd(olds_sum, seen);
  __syncthreads();
  if (threadIdx.x < 8 && sh[threadIdx.x]) atomicAdd(&bins[threadIdx.x], sh[threadIdx.x]);
}

__global__ void divergent_kernel(double *out) {
  double v = 1;
  if (threadIdx.x % 32 < 16)
    v = __shfl_down_sync(0xffffffffu, v, 1);
  else
    __syncthreads();
  out[threadIdx.x] = v;
}

__global__ void exited_lane_kernel(double *out) {
  if (threadIdx.x == 31) return;
  out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1.0, 1);
}

__global__ void nop_kernel() {}

static void test_barrier_and_shuffle() {
  const int n = 4 * 256;
  std::vector<int> in(n), out(n);
  for (int i = 0; i < n; i++) in[i] = i * 7 + 1;
  int *din = nullptr, *dout = nullptr;
  CHECK(cudaMalloc((void **)&din, n * sizeof(int)) == cudaSuccess, "cudaMalloc");
  CHECK(cudaMalloc((void **)&dout, n * sizeof(int)) == cudaSuccess, "cudaMalloc");
  cudaMemcpy(din, in.data(), n * sizeof(int), cudaMemcpyHostToDevice);
  emu::launch(4, 256, reverse_kernel, din, dout);
  CHECK(cudaGetLastError() == cudaSuccess, "reverse launch");
  cudaMemcpy(out.data(), dout, n * sizeof(int), cudaMemcpyDeviceToHost);
  int bad = 0;
  for (int b = 0; b < 4; b++)
    for (int t = 0; t < 256; t++) bad += out[b * 256 + t] != in[b * 256 + 255 - t];
  CHECK(bad == 0, "%d elements not reversed", bad);

  double *dsum = nullptr;
  cudaMalloc((void **)&dsum, 3 * 8 * sizeof(double));
  emu::launch(3, 256, warp_sum_kernel, dsum);
  std::vector<double> sums(24);
  cudaMemcpy(sums.data(), dsum, sums.size() * sizeof(double), cudaMemcpyDeviceToHost);
  for (double s : sums) CHECK(s == 512.0, "warp sum %g, want 512", s);
  cudaFree(din);
  cudaFree(dout);
  cudaFree(dsum);
}

static void test_coordinates() {
  const dim3 grid(3, 2), block(8, 4, 2);
  const int per = 64, total = 6 * per;
  unsigned *d = nullptr;
  cudaMalloc((void **)&d, total * sizeof(unsigned));
  emu::launch(grid, block, coords_kernel, d);
  std::vector<unsigned> h(total);
  cudaMemcpy(h.data(), d, total * sizeof(unsigned), cudaMemcpyDeviceToHost);
  int bad = 0;
  for (unsigned by = 0; by < 2; by++)
    for (unsigned bx = 0; bx < 3; bx++)
      for (unsigned z = 0; z < 2; z++)
        for (unsigned y = 0; y < 4; y++)
          for (unsigned x = 0; x < 8; x++) {
            const unsigned idx = (bx + 3 * by) * per + x + 8 * (y + 4 * z);
            bad += h[idx] != (x | y << 8 | z << 16 | bx << 20 | by << 26);
          }
  CHECK(bad == 0, "%d threads saw wrong coordinates", bad);
  cudaFree(d);
}

static void test_last_block_in_every_order() {
  const unsigned blocks = 37;
  std::vector<double> part(blocks);
  double want = 0;
  for (unsigned i = 0; i < blocks; i++) want += part[i] = 1.0 / (i + 1);
  double *dpart = nullptr, *dtotal = nullptr;
  unsigned *dcounter = nullptr;
  int *dmergers = nullptr;
  cudaMalloc((void **)&dpart, blocks * sizeof(double));
  cudaMalloc((void **)&dtotal, sizeof(double));
  cudaMalloc((void **)&dcounter, sizeof(unsigned));
  cudaMalloc((void **)&dmergers, sizeof(int));
  cudaMemcpy(dpart, part.data(), blocks * sizeof(double), cudaMemcpyHostToDevice);
  cudaMemset(dcounter, 0, sizeof(unsigned));
  cudaMemset(dmergers, 0, sizeof(int));
  for (int rep = 0; rep < 20; rep++) emu::launch(blocks, 64, last_block_kernel, dpart, dcounter, dtotal, dmergers);
  double total = 0;
  int mergers = 0;
  unsigned counter = 1;
  cudaMemcpy(&total, dtotal, sizeof total, cudaMemcpyDeviceToHost);
  cudaMemcpy(&mergers, dmergers, sizeof mergers, cudaMemcpyDeviceToHost);
  cudaMemcpy(&counter, dcounter, sizeof counter, cudaMemcpyDeviceToHost);
  CHECK(std::fabs(total - want) < 1e-12, "total %.17g want %.17g", total, want);
  CHECK(mergers == 20 && counter == 0, "mergers %d (want 20), counter %u (want 0)", mergers, counter);
  cudaFree(dpart);
  cudaFree(dtotal);
  cudaFree(dcounter);
  cudaFree(dmergers);
}

static void test_atomic_u64() {
  const int n = 5000, blocks = 3;
  std::vector<int> in(n);
  unsigned long long want[8] = {}, want_olds = 0;
  for (int i = 0; i < n; i++) in[i] = (i * 37 + 11) % 101;
  // per block: the old values a bin's adds return are 0, 1, …, count−1 in some order
  for (int b = 0; b < blocks; b++) {
    unsigned long long c[8] = {};
    for (int i = b * 128; i < n; i += blocks * 128)
      for (int j = i; j < i + 128 && j < n; j++) want_olds += c[in[j] % 8]++;
    for (int k = 0; k < 8; k++) want[k] += c[k];
  }
  int *din = nullptr;
  unsigned long long *dbins = nullptr, *dolds = nullptr;
  cudaMalloc((void **)&din, n * sizeof(int));
  cudaMalloc((void **)&dbins, 8 * sizeof(unsigned long long));
  cudaMalloc((void **)&dolds, sizeof(unsigned long long));
  cudaMemcpy(din, in.data(), n * sizeof(int), cudaMemcpyHostToDevice);
  cudaMemset(dbins, 0, 8 * sizeof(unsigned long long));
  cudaMemset(dolds, 0, sizeof(unsigned long long));
  emu::launch(blocks, 128, atomic_u64_kernel, din, n, dbins, dolds);
  CHECK(cudaGetLastError() == cudaSuccess, "atomic_u64 launch");
  unsigned long long bins[8], olds = 0;
  cudaMemcpy(bins, dbins, sizeof bins, cudaMemcpyDeviceToHost);
  cudaMemcpy(&olds, dolds, sizeof olds, cudaMemcpyDeviceToHost);
  for (int k = 0; k < 8; k++) CHECK(bins[k] == want[k], "bin %d: %llu, want %llu", k, bins[k], want[k]);
  CHECK(olds == want_olds, "sum of returned old values %llu, want %llu", olds, want_olds);
  CHECK(atomicAdd(&olds, 1ull << 40) == want_olds && olds == want_olds + (1ull << 40), "returns the old value, adds 64 bits");
  cudaFree(din);
  cudaFree(dbins);
  cudaFree(dolds);
}

static void test_failures() {
  double *d = nullptr;
  cudaMalloc((void **)&d, 256 * sizeof(double));
  std::vector<double> h(256);
  cudaMemcpy(h.data(), d, h.size() * sizeof(double), cudaMemcpyDeviceToHost);
  CHECK(std::isnan(h[0]) && std::isnan(h[255]), "fresh device memory reads %g, want NaN", h[0]);

  emu::launch(1, 64, divergent_kernel, d);
  CHECK(cudaDeviceSynchronize() == cudaErrorLaunchFailure, "a divergent barrier deadlocks the kernel");
  CHECK(cudaMemcpy(h.data(), d, 8, cudaMemcpyDeviceToHost) == cudaErrorLaunchFailure, "the error is sticky");
  emu::reset_sticky_error();

  emu::launch(1, 32, exited_lane_kernel, d);
  CHECK(cudaDeviceSynchronize() == cudaErrorLaunchFailure, "a shuffle naming an exited lane fails");
  emu::reset_sticky_error();

  emu::launch(dim3(1, 65536), 32, nop_kernel);
  CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration, "grid.y 65536 is refused");
  CHECK(cudaGetLastError() == cudaSuccess, "cudaGetLastError clears a launch error");
  emu::launch(1, 1025, nop_kernel);
  CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration, "1025 threads per block are refused");
  emu::launch(dim3(1, 65535), 1, nop_kernel);  // the limit itself is fine
  CHECK(cudaGetLastError() == cudaSuccess, "grid.y 65535 launches");

  double host[4] = {};
  CHECK(cudaMemcpy(host, h.data(), sizeof host, cudaMemcpyHostToDevice) == cudaErrorInvalidValue,
        "a host destination for a host-to-device copy");
  CHECK(cudaMemcpy(d, host, 257 * sizeof(double), cudaMemcpyHostToDevice) == cudaErrorInvalidValue,
        "a copy past the end of an allocation");
  CHECK(cudaMemcpy(host, d + 1, sizeof host, cudaMemcpyDeviceToHost) == cudaSuccess, "an interior copy");
  CHECK(cudaMemset(host, 0, sizeof host) == cudaErrorInvalidValue, "cudaMemset on host memory");
  CHECK(cudaFree(host) == cudaErrorInvalidDevicePointer, "cudaFree of host memory");
  cudaFree(d);

  setenv("NS_CUDA_EMU_MEM_MB", "1", 1);
  void *big = nullptr;
  CHECK(cudaMalloc(&big, 2 << 20) == cudaErrorMemoryAllocation && big == nullptr, "2 MiB on a 1 MiB device");
  unsetenv("NS_CUDA_EMU_MEM_MB");
  setenv("NS_CUDA_EMU_DEVICES", "0", 1);
  int count = -1;
  CHECK(cudaGetDeviceCount(&count) == cudaErrorNoDevice && count == 0, "no device");
  unsetenv("NS_CUDA_EMU_DEVICES");
}

int main() {
  test_barrier_and_shuffle();
  test_coordinates();
  test_last_block_in_every_order();
  test_atomic_u64();
  test_failures();
  std::printf("emu selftest: checks=%d failures=%d\n", checks, failures);
  return failures == 0 ? 0 : 1;
}

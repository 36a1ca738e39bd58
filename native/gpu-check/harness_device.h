// Shared by the GPU harnesses (cuda_harness.cc, device_ops_harness.cc): names the CUDA device they run
// on, or says why there is none (exit code 2, which run.sh and the emulator tests read as "no device").
#pragma once
#include <cstdint>
#include <cstdio>

#include "../kernels/normscope_kernels.h"

// Prints the device line; returns false (after printing why) when there is no usable device.
inline bool print_cuda_device() {
  int err = 0;
  const int count = ns_cuda_device_count(&err);
  if (count <= 0) {
    std::printf("no CUDA device: %s (cudaError %d)\n", ns_last_error(), err);
    return false;
  }
  char name[256];
  uint64_t mem = 0;
  int sms = 0;
  ns_cuda_device_info(name, sizeof name, &mem, &sms);
  std::printf("device: %s, %.1f GiB, %d SMs\n", name, mem / 1073741824.0, sms);
  return true;
}

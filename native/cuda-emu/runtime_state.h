// Shared state of the CUDA emulator's runtime (runtime.cc) used by the scheduler.
#pragma once

#include <cstdint>

#include "cuda_runtime.h"

namespace emu {
// An unsigned environment variable, or `fallback` when unset or malformed.
uint64_t env_u64(const char *name, uint64_t fallback);
// The grid.y limit launches are checked against (NS_CUDA_EMU_MAX_GRID_Y, at most CUDA's 65535).
unsigned max_grid_y();
// What the next cudaGetLastError returns (a launch that could not start).
void set_launch_error(cudaError_t e);
// A kernel that failed while running: returned by every later call, as a GPU's sticky errors are.
void set_sticky_error(cudaError_t e);
cudaError_t sticky_error();
// Clears a sticky error (for the emulator's own tests, which provoke several in one process).
void reset_sticky_error();
}  // namespace emu

#!/bin/bash
# GPU check of the NormScope kernels, for a machine with an NVIDIA GPU, nvcc and PyTorch (no network).
#   native/gpu-check/run.sh [OUTDIR]        (default $OUT, else /tmp/ns-gpu-check)
# 1. builds the kernels (CUDA + CPU, one shared library over the C ABI) with nvcc for this GPU,
# 2. runs cuda_harness (every CUDA kernel against the CPU kernels), device_ops_harness (the device-resident
#    ops of normscope_device.h against a C++ reference) and the CPU harness at full width,
# 3. runs check.py: every kernel against torch.nn.functional.batch_norm on the GPU (float32/float64,
#    train/eval, backward), then times them against PyTorch/cuDNN as achieved GB/s vs the copy bandwidth.
# Writes logs and gpu-check.json into OUTDIR. Meant to finish in well under 5 minutes.
set -u
OUT_DIR=${1:-${OUT:-/tmp/ns-gpu-check}}
mkdir -p "$OUT_DIR"
cd "$(dirname "$0")/../.." || exit 1
B=${NS_GPU_BUILD:-/tmp/ns-gpu-build}
mkdir -p "$B"
log() { echo "[gpu-check $(date +%T)] $*"; }
status=0

nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv 2>&1 | tee "$OUT_DIR/nvidia-smi.txt"
nvcc --version | tail -2
ARCH=${NS_GPU_ARCH:-$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '.')}
ARCH=${ARCH:-90}
log "building for sm_$ARCH"
K=native/kernels
nvcc -O3 -std=c++17 -shared -Xcompiler -fPIC,-msse4.2,-fno-math-errno,-Wno-psabi -gencode "arch=compute_$ARCH,code=sm_$ARCH" \
  $K/cuda_kernels.cu $K/cuda_device.cu $K/cpu_kernels.cc $K/thread_pool.cc $K/ns_error.cc $K/gather_stats.cc \
  -o "$B/libnormscope.so" > "$OUT_DIR/build.log" 2>&1 || { log "build FAILED"; cat "$OUT_DIR/build.log"; exit 1; }
g++ -O2 -std=c++17 native/gpu-check/cuda_harness.cc -L"$B" -lnormscope -Wl,-rpath,"$B" -o "$B/cuda_harness" >> "$OUT_DIR/build.log" 2>&1 &&
g++ -O2 -std=c++17 native/gpu-check/device_ops_harness.cc -L"$B" -lnormscope -Wl,-rpath,"$B" -o "$B/device_ops_harness" >> "$OUT_DIR/build.log" 2>&1 &&
g++ -O2 -std=c++17 native/test/test_kernels.cc -L"$B" -lnormscope -Wl,-rpath,"$B" -o "$B/cpu_harness" >> "$OUT_DIR/build.log" 2>&1 ||
  { log "harness build FAILED"; cat "$OUT_DIR/build.log"; status=1; }
log "build done"

log "cuda harness (CUDA kernels vs CPU kernels)"
timeout 120 "$B/cuda_harness" 2>&1 | tee "$OUT_DIR/cuda_harness.log" | tail -45
[ "${PIPESTATUS[0]}" = 0 ] || status=1
log "device ops harness (normscope_device.h against a C++ reference)"
timeout 120 "$B/device_ops_harness" 2>&1 | tee "$OUT_DIR/device_ops_harness.log" | tail -45
[ "${PIPESTATUS[0]}" = 0 ] || status=1
log "cpu harness at full width"
timeout 60 "$B/cpu_harness" 2>&1 | tail -5 | tee "$OUT_DIR/cpu_harness.log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1

log "PyTorch comparison and timing"
PYTHONUNBUFFERED=1 timeout 240 python3 native/gpu-check/check.py "$B/libnormscope.so" "$OUT_DIR/gpu-check.json" 2>&1 | tee "$OUT_DIR/check.log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
log "done (status $status)"
exit $status

// The `cpu.gemm` binding (native/kernels/normscope_gemm.h); compiled only with NS_WITH_OPENBLAS.
#pragma once
#include <napi.h>

namespace ns_addon {
// Adds gemm(transA, transB, m, n, k, a, b, c) to `cpu` when OpenBLAS loads; returns whether it did.
bool InitGemm(Napi::Env env, Napi::Object cpu);
}  // namespace ns_addon

// The `cpu` elementwise bindings (relu, reluBackward, add, sub, mul, scale, sum, mseForward,
// mseBackward) over native/kernels/cpu_elementwise.cc.
#pragma once
#include <napi.h>

namespace ns_addon {
// Adds the elementwise kernels to `cpu`.
void InitElementwise(Napi::Env env, Napi::Object cpu);
}  // namespace ns_addon

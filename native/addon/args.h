// Argument checks shared by the addon's bindings: bad arguments throw TypeError/RangeError, kernel
// failures throw Error with the kernel's text (ns_last_error), never a crash.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "../kernels/normscope_abi.h"

namespace ns_addon {

[[noreturn]] inline void type_error(Napi::Env env, const std::string &msg) { throw Napi::TypeError::New(env, msg); }
[[noreturn]] inline void range_error(Napi::Env env, const std::string &msg) { throw Napi::RangeError::New(env, msg); }

inline int64_t dim_arg(const Napi::CallbackInfo &info, size_t i, const char *name) {
  if (!info[i].IsNumber()) type_error(info.Env(), std::string(name) + " must be a number");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9007199254740991.0 || d != (double)(int64_t)d)
    range_error(info.Env(), std::string(name) + " must be a non-negative integer");
  return (int64_t)d;
}

inline double num_arg(const Napi::CallbackInfo &info, size_t i, const char *name) {
  if (!info[i].IsNumber()) type_error(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

inline void check_rc(Napi::Env env, int rc) {
  if (rc != NS_OK) throw Napi::Error::New(env, std::string("normscope kernel failed: ") + ns_last_error());
}

}  // namespace ns_addon

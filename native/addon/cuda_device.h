// The addon's device-resident ops (cuda_device.cc: memory and BatchNorm; cuda_device_ops.cc: the
// other layers' ops), bound as `exports.cudaDevice` when the addon is built with CUDA. Shared here:
// device buffer arguments and the dtype dispatch.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "args.h"

namespace ns_addon {

void InitCudaDevice(Napi::Env env, Napi::Object exports);
/* Adds linear, conv2d, elementwise, loss and SGD bindings to the cudaDevice object. */
void BindDeviceOps(Napi::Env env, Napi::Object target);

struct DevBuf {
  void *ptr = nullptr;
  size_t bytes = 0;
};

// Tags our externals so that no other external can be taken for a device buffer.
inline const napi_type_tag kBufTag = {0x6e6f726d73636f70ULL, 0x6465766275660001ULL};

inline DevBuf *buf_arg(const Napi::CallbackInfo &info, size_t i, const char *name, bool nullable = false) {
  Napi::Value v = info[i];
  if (nullable && (v.IsNull() || v.IsUndefined())) return nullptr;
  bool tagged = false;
  if (v.IsExternal()) napi_check_object_type_tag(info.Env(), v, &kBufTag, &tagged);
  if (!tagged) type_error(info.Env(), std::string(name) + " must be a device buffer");
  DevBuf *b = v.As<Napi::External<DevBuf>>().Data();
  if (!b->ptr && b->bytes > 0) type_error(info.Env(), std::string(name) + " was released");
  return b;
}

// The buffer's pointer as T*, after checking it holds `count` values of `elem` bytes.
template <typename T = void>
inline T *ptr_arg(const Napi::CallbackInfo &info, size_t i, const char *name, int64_t count, size_t elem, bool nullable = false) {
  DevBuf *b = buf_arg(info, i, name, nullable);
  if (!b) return nullptr;
  if (count > 0 && (uint64_t)count > b->bytes / elem)
    range_error(info.Env(), std::string(name) + " is smaller than the operation needs");
  return (T *)b->ptr;
}

inline bool is_f64(const Napi::CallbackInfo &info) {
  std::string dt = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (dt == "float32") return false;
  if (dt == "float64") return true;
  type_error(info.Env(), "dtype must be 'float32' or 'float64'");
}

// Dispatches a binding templated on T by the dtype argument.
template <template <typename> class F>
Napi::Value by_dtype(const Napi::CallbackInfo &info) {
  if (is_f64(info)) F<double>::run(info);
  else F<float>::run(info);
  return info.Env().Undefined();
}

#define NS_BIND_T(NAME) \
  template <typename T> \
  struct NAME##Fn {     \
    static void run(const Napi::CallbackInfo &info) { NAME<T>(info); } \
  };

}  // namespace ns_addon

// Node-API binding of the device-resident ops (native/kernels/normscope_device.h): `exports.cudaDevice`.
//
// A device buffer is a type-tagged Napi::External owning one cudaMalloc allocation. It is freed by
// release() or, failing that, when the garbage collector drops it; its size is reported to V8 as
// external memory so that GPU allocations push the collector like host allocations do. Every kernel
// binding checks that each buffer holds the elements the call will touch (a short buffer is a
// RangeError, never an out-of-bounds access on the device). Kernels take a dtype ('float32' or
// 'float64') first; per-channel BatchNorm values in float32 are widened into double scratch for the
// BatchNorm ABI and running statistics narrowed back.
#include "cuda_device.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "../kernels/normscope_device.h"

namespace {

using namespace ns_addon;

// Bytes held by live device buffers, over every thread's buffers (what the Backends view shows).
std::atomic<uint64_t> g_live_bytes{0};

void release_buf(Napi::Env env, DevBuf *b) {
  if (!b->ptr) return;
  ns_cuda_release(b->ptr);
  b->ptr = nullptr;
  Napi::MemoryManagement::AdjustExternalMemory(env, -(int64_t)b->bytes);
  g_live_bytes -= b->bytes;
}

// ---------------------------------------------------------------- memory

Napi::Value Alloc(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  size_t bytes = (size_t)dim_arg(info, 0, "bytes");
  DevBuf *b = new DevBuf();
  int rc = ns_cuda_alloc(&b->ptr, bytes);
  if (rc != NS_OK) {
    delete b;
    check_rc(env, rc);
  }
  b->bytes = bytes;
  Napi::MemoryManagement::AdjustExternalMemory(env, (int64_t)bytes);
  g_live_bytes += bytes;
  auto ext = Napi::External<DevBuf>::New(env, b, [](Napi::Env e, DevBuf *p) {
    release_buf(e, p);
    delete p;
  });
  napi_type_tag_object(env, ext, &kBufTag);
  return ext;
}

Napi::Value Release(const Napi::CallbackInfo &info) {
  release_buf(info.Env(), buf_arg(info, 0, "buffer"));
  return info.Env().Undefined();
}

// The bytes of any typed array argument.
struct HostBytes {
  void *ptr;
  size_t bytes;
};

HostBytes host_arg(const Napi::CallbackInfo &info, size_t i, const char *name) {
  if (!info[i].IsTypedArray()) type_error(info.Env(), std::string(name) + " must be a typed array");
  Napi::TypedArray a = info[i].As<Napi::TypedArray>();
  return {(uint8_t *)a.ArrayBuffer().Data() + a.ByteOffset(), a.ByteLength()};
}

// upload(buffer, typedArray): the array's bytes into the start of the buffer.
Napi::Value Upload(const Napi::CallbackInfo &info) {
  DevBuf *b = buf_arg(info, 0, "buffer");
  HostBytes h = host_arg(info, 1, "source");
  if (h.bytes > b->bytes) range_error(info.Env(), "source is larger than the device buffer");
  check_rc(info.Env(), ns_cuda_upload(b->ptr, h.ptr, h.bytes));
  return info.Env().Undefined();
}

// download(buffer, typedArray): the start of the buffer into the array.
Napi::Value Download(const Napi::CallbackInfo &info) {
  DevBuf *b = buf_arg(info, 0, "buffer");
  HostBytes h = host_arg(info, 1, "destination");
  if (h.bytes > b->bytes) range_error(info.Env(), "destination is larger than the device buffer");
  check_rc(info.Env(), ns_cuda_download(h.ptr, b->ptr, h.bytes));
  return info.Env().Undefined();
}

// copy(dst, src): all of src's bytes into dst.
Napi::Value Copy(const Napi::CallbackInfo &info) {
  DevBuf *d = buf_arg(info, 0, "dst"), *s = buf_arg(info, 1, "src");
  if (s->bytes > d->bytes) range_error(info.Env(), "src is larger than dst");
  check_rc(info.Env(), ns_cuda_copy(d->ptr, s->ptr, s->bytes));
  return info.Env().Undefined();
}

Napi::Value Zero(const Napi::CallbackInfo &info) {
  DevBuf *b = buf_arg(info, 0, "buffer");
  check_rc(info.Env(), ns_cuda_zero(b->ptr, b->bytes));
  return info.Env().Undefined();
}

// sync(): waits for every launched kernel (timing; errors of asynchronous launches surface here).
Napi::Value Sync(const Napi::CallbackInfo &info) {
  check_rc(info.Env(), ns_cuda_sync());
  return info.Env().Undefined();
}

// transferStats() → [host→device bytes, copies, device→host bytes, copies, bytes in live device buffers]
Napi::Value TransferStats(const Napi::CallbackInfo &info) {
  uint64_t s[4] = {};
  check_rc(info.Env(), ns_cuda_transfer_stats(s));
  Napi::Array a = Napi::Array::New(info.Env(), 5);
  for (uint32_t i = 0; i < 4; i++) a.Set(i, (double)s[i]);
  a.Set(4u, (double)g_live_bytes.load());
  return a;
}

// ---------------------------------------------------------------- per-channel scratch (float32 widening)

struct Scratch {
  std::mutex mu;
  double *p = nullptr;
  size_t cap = 0;  // doubles
} g_scratch;

// Widened copies of up to four float32 per-channel buffers (null stays null), in one grow-only buffer.
struct Widened {
  std::lock_guard<std::mutex> lk{g_scratch.mu};
  double *slot[4] = {};
  Widened(Napi::Env env, int64_t c, std::initializer_list<const float *> src) {
    size_t need = (size_t)c * 4;
    if (need > g_scratch.cap) {
      if (g_scratch.p) ns_cuda_release(g_scratch.p);
      g_scratch.p = nullptr;
      g_scratch.cap = 0;
      check_rc(env, ns_cuda_alloc((void **)&g_scratch.p, need * sizeof(double)));
      g_scratch.cap = need;
    }
    int i = 0;
    for (const float *s : src) {
      if (s) {
        slot[i] = g_scratch.p + (size_t)i * c;
        check_rc(env, ns_cudadev_widen_f32(s, slot[i], c));
      }
      i++;
    }
  }
};

// ---------------------------------------------------------------- BatchNorm

struct NCS {
  int64_t n, c, s, total;
};

NCS ncs_at(const Napi::CallbackInfo &info, size_t i) {
  NCS d{dim_arg(info, i, "n"), dim_arg(info, i + 1, "c"), dim_arg(info, i + 2, "s"), 0};
  if (d.c > 0 && d.s > 0 && d.n > INT64_MAX / d.c / d.s) range_error(info.Env(), "tensor too large");
  d.total = d.n * d.c * d.s;
  return d;
}

const size_t kD = sizeof(double);

// bnTrain(dt, x, y, n, c, s, weight?, bias?, runningMean?, runningVar?, momentum, eps, mean, invstd)
template <typename T>
void BnTrain(const Napi::CallbackInfo &info) {
  NCS d = ncs_at(info, 3);
  const T *x = ptr_arg<T>(info, 1, "x", d.total, sizeof(T));
  T *y = ptr_arg<T>(info, 2, "y", d.total, sizeof(T));
  T *w = ptr_arg<T>(info, 6, "weight", d.c, sizeof(T), true), *b = ptr_arg<T>(info, 7, "bias", d.c, sizeof(T), true);
  T *rm = ptr_arg<T>(info, 8, "runningMean", d.c, sizeof(T), true);
  T *rv = ptr_arg<T>(info, 9, "runningVar", d.c, sizeof(T), true);
  double mom = num_arg(info, 10, "momentum"), eps = num_arg(info, 11, "eps");
  double *mean = ptr_arg<double>(info, 12, "mean", d.c, kD), *inv = ptr_arg<double>(info, 13, "invstd", d.c, kD);
  Napi::Env env = info.Env();
  if constexpr (sizeof(T) == 4) {
    Widened wd(env, d.c, {w, b, rm, rv});
    check_rc(env, ns_cudadev_forward_train_f32(x, y, d.n, d.c, d.s, wd.slot[0], wd.slot[1], wd.slot[2], wd.slot[3],
                                               mom, eps, mean, inv));
    if (rm) check_rc(env, ns_cudadev_narrow_f32(wd.slot[2], rm, d.c));
    if (rv) check_rc(env, ns_cudadev_narrow_f32(wd.slot[3], rv, d.c));
  } else {
    check_rc(env, ns_cudadev_forward_train_f64(x, y, d.n, d.c, d.s, w, b, rm, rv, mom, eps, mean, inv));
  }
}

// bnStats(dt, x, n, c, s, mean, varBiased)
template <typename T>
void BnStats(const Napi::CallbackInfo &info) {
  NCS d = ncs_at(info, 2);
  const T *x = ptr_arg<T>(info, 1, "x", d.total, sizeof(T));
  double *mean = ptr_arg<double>(info, 5, "mean", d.c, kD), *var = ptr_arg<double>(info, 6, "varBiased", d.c, kD);
  if constexpr (sizeof(T) == 4) check_rc(info.Env(), ns_cudadev_batch_stats_f32(x, d.n, d.c, d.s, mean, var));
  else check_rc(info.Env(), ns_cudadev_batch_stats_f64(x, d.n, d.c, d.s, mean, var));
}

// bnEvalStats(dt, runningMean, runningVar, eps, mean, invstd, c)
template <typename T>
void BnEvalStats(const Napi::CallbackInfo &info) {
  int64_t c = dim_arg(info, 6, "c");
  const T *rm = ptr_arg<T>(info, 1, "runningMean", c, sizeof(T)), *rv = ptr_arg<T>(info, 2, "runningVar", c, sizeof(T));
  double eps = num_arg(info, 3, "eps");
  double *mean = ptr_arg<double>(info, 4, "mean", c, kD), *inv = ptr_arg<double>(info, 5, "invstd", c, kD);
  if constexpr (sizeof(T) == 4) check_rc(info.Env(), ns_cudadev_bn_eval_stats_f32(rm, rv, eps, mean, inv, c));
  else check_rc(info.Env(), ns_cudadev_bn_eval_stats_f64(rm, rv, eps, mean, inv, c));
}

// bnEval(dt, x, y, n, c, s, weight?, bias?, mean, invstd)
template <typename T>
void BnEval(const Napi::CallbackInfo &info) {
  NCS d = ncs_at(info, 3);
  const T *x = ptr_arg<T>(info, 1, "x", d.total, sizeof(T));
  T *y = ptr_arg<T>(info, 2, "y", d.total, sizeof(T));
  T *w = ptr_arg<T>(info, 6, "weight", d.c, sizeof(T), true), *b = ptr_arg<T>(info, 7, "bias", d.c, sizeof(T), true);
  const double *mean = ptr_arg<double>(info, 8, "mean", d.c, kD), *inv = ptr_arg<double>(info, 9, "invstd", d.c, kD);
  Napi::Env env = info.Env();
  if constexpr (sizeof(T) == 4) {
    Widened wd(env, d.c, {w, b});
    check_rc(env, ns_cudadev_forward_eval_f32(x, y, d.n, d.c, d.s, wd.slot[0], wd.slot[1], mean, inv));
  } else {
    check_rc(env, ns_cudadev_forward_eval_f64(x, y, d.n, d.c, d.s, w, b, mean, inv));
  }
}

// bnBackwardReduce(dt, dy, x, n, c, s, mean, sumDy, sumDyXmu)
template <typename T>
void BnBackwardReduce(const Napi::CallbackInfo &info) {
  NCS d = ncs_at(info, 3);
  const T *dy = ptr_arg<T>(info, 1, "dy", d.total, sizeof(T)), *x = ptr_arg<T>(info, 2, "x", d.total, sizeof(T));
  const double *mean = ptr_arg<double>(info, 6, "mean", d.c, kD);
  double *s1 = ptr_arg<double>(info, 7, "sumDy", d.c, kD), *s2 = ptr_arg<double>(info, 8, "sumDyXmu", d.c, kD);
  if constexpr (sizeof(T) == 4) check_rc(info.Env(), ns_cudadev_backward_reduce_f32(dy, x, d.n, d.c, d.s, mean, s1, s2));
  else check_rc(info.Env(), ns_cudadev_backward_reduce_f64(dy, x, d.n, d.c, d.s, mean, s1, s2));
}

// bnBackwardElemt(dt, dy, x, dx, n, c, s, mean, invstd, weight?, sumDy, sumDyXmu, count)
template <typename T>
void BnBackwardElemt(const Napi::CallbackInfo &info) {
  NCS d = ncs_at(info, 4);
  const T *dy = ptr_arg<T>(info, 1, "dy", d.total, sizeof(T)), *x = ptr_arg<T>(info, 2, "x", d.total, sizeof(T));
  T *dx = ptr_arg<T>(info, 3, "dx", d.total, sizeof(T));
  const double *mean = ptr_arg<double>(info, 7, "mean", d.c, kD), *inv = ptr_arg<double>(info, 8, "invstd", d.c, kD);
  const T *w = ptr_arg<T>(info, 9, "weight", d.c, sizeof(T), true);
  const double *s1 = ptr_arg<double>(info, 10, "sumDy", d.c, kD), *s2 = ptr_arg<double>(info, 11, "sumDyXmu", d.c, kD);
  double count = num_arg(info, 12, "count");
  Napi::Env env = info.Env();
  if constexpr (sizeof(T) == 4) {
    Widened wd(env, d.c, {w});
    check_rc(env, ns_cudadev_backward_elemt_f32(dy, x, dx, d.n, d.c, d.s, mean, inv, wd.slot[0], s1, s2, count));
  } else {
    check_rc(env, ns_cudadev_backward_elemt_f64(dy, x, dx, d.n, d.c, d.s, mean, inv, w, s1, s2, count));
  }
}

// bnBackwardEvalElemt(dt, dy, dx, n, c, s, invstd, weight?)
template <typename T>
void BnBackwardEvalElemt(const Napi::CallbackInfo &info) {
  NCS d = ncs_at(info, 3);
  const T *dy = ptr_arg<T>(info, 1, "dy", d.total, sizeof(T));
  T *dx = ptr_arg<T>(info, 2, "dx", d.total, sizeof(T));
  const double *inv = ptr_arg<double>(info, 6, "invstd", d.c, kD);
  const T *w = ptr_arg<T>(info, 7, "weight", d.c, sizeof(T), true);
  Napi::Env env = info.Env();
  if constexpr (sizeof(T) == 4) {
    Widened wd(env, d.c, {w});
    check_rc(env, ns_cudadev_backward_eval_elemt_f32(dy, dx, d.n, d.c, d.s, inv, wd.slot[0]));
  } else {
    check_rc(env, ns_cudadev_backward_eval_elemt_f64(dy, dx, d.n, d.c, d.s, inv, w));
  }
}

// bnParamGrads(dt, sumDy, sumDyXmu, invstd, dw?, db?, c)
template <typename T>
void BnParamGrads(const Napi::CallbackInfo &info) {
  int64_t c = dim_arg(info, 6, "c");
  const double *s1 = ptr_arg<double>(info, 1, "sumDy", c, kD), *s2 = ptr_arg<double>(info, 2, "sumDyXmu", c, kD);
  const double *inv = ptr_arg<double>(info, 3, "invstd", c, kD);
  T *dw = ptr_arg<T>(info, 4, "dw", c, sizeof(T), true), *db = ptr_arg<T>(info, 5, "db", c, sizeof(T), true);
  if constexpr (sizeof(T) == 4) check_rc(info.Env(), ns_cudadev_bn_param_grads_f32(s1, s2, inv, dw, db, c));
  else check_rc(info.Env(), ns_cudadev_bn_param_grads_f64(s1, s2, inv, dw, db, c));
}

NS_BIND_T(BnStats)
NS_BIND_T(BnTrain)
NS_BIND_T(BnEvalStats)
NS_BIND_T(BnEval)
NS_BIND_T(BnBackwardReduce)
NS_BIND_T(BnBackwardElemt)
NS_BIND_T(BnBackwardEvalElemt)
NS_BIND_T(BnParamGrads)

}  // namespace

namespace ns_addon {

void InitCudaDevice(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  auto bind = [&](const char *name, Napi::Function::Callback fn) { o.Set(name, Napi::Function::New(env, fn, name)); };
  bind("alloc", Alloc);
  bind("release", Release);
  bind("upload", Upload);
  bind("download", Download);
  bind("copy", Copy);
  bind("zero", Zero);
  bind("transferStats", TransferStats);
  bind("sync", Sync);
  bind("bnStats", by_dtype<BnStatsFn>);
  bind("bnTrain", by_dtype<BnTrainFn>);
  bind("bnEvalStats", by_dtype<BnEvalStatsFn>);
  bind("bnEval", by_dtype<BnEvalFn>);
  bind("bnBackwardReduce", by_dtype<BnBackwardReduceFn>);
  bind("bnBackwardElemt", by_dtype<BnBackwardElemtFn>);
  bind("bnBackwardEvalElemt", by_dtype<BnBackwardEvalElemtFn>);
  bind("bnParamGrads", by_dtype<BnParamGradsFn>);
  BindDeviceOps(env, o);
  exports.Set("cudaDevice", o);
}

}  // namespace ns_addon

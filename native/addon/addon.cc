// Node-API binding of the BatchNorm kernels (native/kernels). Synchronous calls, like the engine's API:
// the kernels bring their own thread pool. Data arrays are JS-allocated typed arrays written in place
// (no external ArrayBuffers: Electron forbids them). Per-channel arrays may be Float32Array or
// Float64Array; they are converted to double for the C ABI and running statistics are written back in
// their own type. Bad arguments throw TypeError/RangeError; kernel failures throw Error with the
// kernel's text. Node-API only and no per-context state besides the process-wide pool, so one binary
// loads in Node, Electron and worker threads.
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../kernels/normscope_kernels.h"
#include "args.h"
#ifdef NS_WITH_CUDA
#include "cuda_device.h"
#endif
#include "elementwise_binding.h"
#include "file_read.h"
#include "huge_pages.h"
#ifdef NS_WITH_OPENBLAS
#include "../kernels/normscope_gemm.h"
#include "gemm_binding.h"
#endif

namespace {

using ns_addon::check_rc;
using ns_addon::dim_arg;
using ns_addon::num_arg;
using ns_addon::range_error;
using ns_addon::type_error;

enum class Kind { F32, F64 };

struct Data {
  Kind kind;
  void *ptr;
  size_t len;
};

Data data_arg(const Napi::CallbackInfo &info, size_t i, const char *name) {
  Napi::Value v = info[i];
  if (v.IsTypedArray()) {
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    if (ta.TypedArrayType() == napi_float32_array) {
      Napi::Float32Array a = v.As<Napi::Float32Array>();
      return {Kind::F32, a.Data(), a.ElementLength()};
    }
    if (ta.TypedArrayType() == napi_float64_array) {
      Napi::Float64Array a = v.As<Napi::Float64Array>();
      return {Kind::F64, a.Data(), a.ElementLength()};
    }
  }
  type_error(info.Env(), std::string(name) + " must be a Float32Array or Float64Array");
}

// A per-channel array (length ≥ c) copied to double; `present` false for null/undefined when nullable.
struct Channel {
  bool present = false;
  Data src{};
  std::vector<double> v;
  const double *p() const { return present ? v.data() : nullptr; }
  double *p() { return present ? v.data() : nullptr; }
  void write_back() {
    if (!present) return;
    if (src.kind == Kind::F32) {
      float *d = (float *)src.ptr;
      for (size_t i = 0; i < v.size(); i++) d[i] = (float)v[i];
    } else {
      double *d = (double *)src.ptr;
      for (size_t i = 0; i < v.size(); i++) d[i] = v[i];
    }
  }
};

Channel channel_arg(const Napi::CallbackInfo &info, size_t i, const char *name, int64_t c, bool nullable) {
  Channel ch;
  if (nullable && (info[i].IsNull() || info[i].IsUndefined())) return ch;
  ch.src = data_arg(info, i, name);
  if ((int64_t)ch.src.len < c) range_error(info.Env(), std::string(name) + " is shorter than the channel count");
  ch.present = true;
  ch.v.resize((size_t)c);
  if (ch.src.kind == Kind::F32) {
    const float *s = (const float *)ch.src.ptr;
    for (int64_t k = 0; k < c; k++) ch.v[k] = s[k];
  } else {
    const double *s = (const double *)ch.src.ptr;
    for (int64_t k = 0; k < c; k++) ch.v[k] = s[k];
  }
  return ch;
}

// A Float64Array output of length ≥ c, written directly.
double *out_arg(const Napi::CallbackInfo &info, size_t i, const char *name, int64_t c) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    type_error(info.Env(), std::string(name) + " must be a Float64Array");
  Napi::Float64Array a = info[i].As<Napi::Float64Array>();
  if ((int64_t)a.ElementLength() < c) range_error(info.Env(), std::string(name) + " is shorter than the channel count");
  return a.Data();
}

struct Dims {
  int64_t n, c, s;
};

Dims dims_at(const Napi::CallbackInfo &info, size_t i) {
  Dims d{dim_arg(info, i, "n"), dim_arg(info, i + 1, "c"), dim_arg(info, i + 2, "s")};
  if (d.c > 0 && d.s > 0 && d.n > INT64_MAX / d.c / d.s) range_error(info.Env(), "tensor too large");
  return d;
}

// Checks that every data array has the first one's type and at least n·c·s elements.
Kind same_kind(const Napi::CallbackInfo &info, Dims d, std::initializer_list<Data> arrays) {
  const int64_t total = d.n * d.c * d.s;
  Kind k = arrays.begin()->kind;
  for (const Data &a : arrays) {
    if (a.kind != k) type_error(info.Env(), "x, y, dy and dx must all be Float32Array or all Float64Array");
    if ((int64_t)a.len < total) range_error(info.Env(), "a data array is shorter than n*c*s");
  }
  return k;
}

// Function tables: CPU and (when compiled) CUDA, float32 and float64.
struct Ops {
  int (*stats32)(const float *, int64_t, int64_t, int64_t, double *, double *);
  int (*stats64)(const double *, int64_t, int64_t, int64_t, double *, double *);
  int (*train32)(const float *, float *, int64_t, int64_t, int64_t, const double *, const double *, double *,
                 double *, double, double, double *, double *);
  int (*train64)(const double *, double *, int64_t, int64_t, int64_t, const double *, const double *, double *,
                 double *, double, double, double *, double *);
  int (*eval32)(const float *, float *, int64_t, int64_t, int64_t, const double *, const double *,
                const double *, const double *);
  int (*eval64)(const double *, double *, int64_t, int64_t, int64_t, const double *, const double *,
                const double *, const double *);
  int (*reduce32)(const float *, const float *, int64_t, int64_t, int64_t, const double *, double *, double *);
  int (*reduce64)(const double *, const double *, int64_t, int64_t, int64_t, const double *, double *, double *);
  int (*elemt32)(const float *, const float *, float *, int64_t, int64_t, int64_t, const double *,
                 const double *, const double *, const double *, const double *, double);
  int (*elemt64)(const double *, const double *, double *, int64_t, int64_t, int64_t, const double *,
                 const double *, const double *, const double *, const double *, double);
  int (*evelemt32)(const float *, float *, int64_t, int64_t, int64_t, const double *, const double *);
  int (*evelemt64)(const double *, double *, int64_t, int64_t, int64_t, const double *, const double *);
};

const Ops kCpu = {ns_cpu_batch_stats_f32,    ns_cpu_batch_stats_f64,       ns_cpu_forward_train_f32,
                  ns_cpu_forward_train_f64,  ns_cpu_forward_eval_f32,      ns_cpu_forward_eval_f64,
                  ns_cpu_backward_reduce_f32, ns_cpu_backward_reduce_f64,  ns_cpu_backward_elemt_f32,
                  ns_cpu_backward_elemt_f64, ns_cpu_backward_eval_elemt_f32, ns_cpu_backward_eval_elemt_f64};
#ifdef NS_WITH_CUDA
const Ops kCuda = {ns_cuda_batch_stats_f32,     ns_cuda_batch_stats_f64,        ns_cuda_forward_train_f32,
                   ns_cuda_forward_train_f64,   ns_cuda_forward_eval_f32,       ns_cuda_forward_eval_f64,
                   ns_cuda_backward_reduce_f32, ns_cuda_backward_reduce_f64,    ns_cuda_backward_elemt_f32,
                   ns_cuda_backward_elemt_f64,  ns_cuda_backward_eval_elemt_f32, ns_cuda_backward_eval_elemt_f64};
#endif

// batchStats(x, n, c, s, mean, varBiased)
template <const Ops *O>
Napi::Value BatchStats(const Napi::CallbackInfo &info) {
  Data x = data_arg(info, 0, "x");
  Dims d = dims_at(info, 1);
  Kind k = same_kind(info, d, {x});
  double *mean = out_arg(info, 4, "mean", d.c), *var = out_arg(info, 5, "varBiased", d.c);
  check_rc(info.Env(), k == Kind::F32 ? O->stats32((const float *)x.ptr, d.n, d.c, d.s, mean, var)
                                      : O->stats64((const double *)x.ptr, d.n, d.c, d.s, mean, var));
  return info.Env().Undefined();
}

// forwardTrain(x, y, n, c, s, weight?, bias?, runningMean?, runningVar?, momentum, eps, meanOut, invstdOut)
template <const Ops *O>
Napi::Value ForwardTrain(const Napi::CallbackInfo &info) {
  Data x = data_arg(info, 0, "x"), y = data_arg(info, 1, "y");
  Dims d = dims_at(info, 2);
  Kind k = same_kind(info, d, {x, y});
  Channel w = channel_arg(info, 5, "weight", d.c, true), b = channel_arg(info, 6, "bias", d.c, true);
  Channel rm = channel_arg(info, 7, "runningMean", d.c, true), rv = channel_arg(info, 8, "runningVar", d.c, true);
  double mom = num_arg(info, 9, "momentum"), eps = num_arg(info, 10, "eps");
  double *mean = out_arg(info, 11, "mean", d.c), *inv = out_arg(info, 12, "invstd", d.c);
  int rc = k == Kind::F32 ? O->train32((const float *)x.ptr, (float *)y.ptr, d.n, d.c, d.s, w.p(), b.p(), rm.p(),
                                       rv.p(), mom, eps, mean, inv)
                          : O->train64((const double *)x.ptr, (double *)y.ptr, d.n, d.c, d.s, w.p(), b.p(),
                                       rm.p(), rv.p(), mom, eps, mean, inv);
  check_rc(info.Env(), rc);
  rm.write_back();
  rv.write_back();
  return info.Env().Undefined();
}

// forwardEval(x, y, n, c, s, weight?, bias?, mean, invstd)
template <const Ops *O>
Napi::Value ForwardEval(const Napi::CallbackInfo &info) {
  Data x = data_arg(info, 0, "x"), y = data_arg(info, 1, "y");
  Dims d = dims_at(info, 2);
  Kind k = same_kind(info, d, {x, y});
  Channel w = channel_arg(info, 5, "weight", d.c, true), b = channel_arg(info, 6, "bias", d.c, true);
  Channel m = channel_arg(info, 7, "mean", d.c, false), inv = channel_arg(info, 8, "invstd", d.c, false);
  int rc = k == Kind::F32
               ? O->eval32((const float *)x.ptr, (float *)y.ptr, d.n, d.c, d.s, w.p(), b.p(), m.p(), inv.p())
               : O->eval64((const double *)x.ptr, (double *)y.ptr, d.n, d.c, d.s, w.p(), b.p(), m.p(), inv.p());
  check_rc(info.Env(), rc);
  return info.Env().Undefined();
}

// backwardReduce(dy, x, n, c, s, mean, sumDy, sumDyXmu)
template <const Ops *O>
Napi::Value BackwardReduce(const Napi::CallbackInfo &info) {
  Data dy = data_arg(info, 0, "dy"), x = data_arg(info, 1, "x");
  Dims d = dims_at(info, 2);
  Kind k = same_kind(info, d, {dy, x});
  Channel m = channel_arg(info, 5, "mean", d.c, false);
  double *s1 = out_arg(info, 6, "sumDy", d.c), *s2 = out_arg(info, 7, "sumDyXmu", d.c);
  int rc = k == Kind::F32
               ? O->reduce32((const float *)dy.ptr, (const float *)x.ptr, d.n, d.c, d.s, m.p(), s1, s2)
               : O->reduce64((const double *)dy.ptr, (const double *)x.ptr, d.n, d.c, d.s, m.p(), s1, s2);
  check_rc(info.Env(), rc);
  return info.Env().Undefined();
}

// backwardElemt(dy, x, dx, n, c, s, mean, invstd, weight?, sumDy, sumDyXmu, count)
template <const Ops *O>
Napi::Value BackwardElemt(const Napi::CallbackInfo &info) {
  Data dy = data_arg(info, 0, "dy"), x = data_arg(info, 1, "x"), dx = data_arg(info, 2, "dx");
  Dims d = dims_at(info, 3);
  Kind k = same_kind(info, d, {dy, x, dx});
  Channel m = channel_arg(info, 6, "mean", d.c, false), inv = channel_arg(info, 7, "invstd", d.c, false);
  Channel w = channel_arg(info, 8, "weight", d.c, true);
  Channel s1 = channel_arg(info, 9, "sumDy", d.c, false), s2 = channel_arg(info, 10, "sumDyXmu", d.c, false);
  double count = num_arg(info, 11, "count");
  int rc = k == Kind::F32 ? O->elemt32((const float *)dy.ptr, (const float *)x.ptr, (float *)dx.ptr, d.n, d.c,
                                       d.s, m.p(), inv.p(), w.p(), s1.p(), s2.p(), count)
                          : O->elemt64((const double *)dy.ptr, (const double *)x.ptr, (double *)dx.ptr, d.n,
                                       d.c, d.s, m.p(), inv.p(), w.p(), s1.p(), s2.p(), count);
  check_rc(info.Env(), rc);
  return info.Env().Undefined();
}

// backwardEvalElemt(dy, dx, n, c, s, invstd, weight?)
template <const Ops *O>
Napi::Value BackwardEvalElemt(const Napi::CallbackInfo &info) {
  Data dy = data_arg(info, 0, "dy"), dx = data_arg(info, 1, "dx");
  Dims d = dims_at(info, 2);
  Kind k = same_kind(info, d, {dy, dx});
  Channel inv = channel_arg(info, 5, "invstd", d.c, false), w = channel_arg(info, 6, "weight", d.c, true);
  int rc = k == Kind::F32
               ? O->evelemt32((const float *)dy.ptr, (float *)dx.ptr, d.n, d.c, d.s, inv.p(), w.p())
               : O->evelemt64((const double *)dy.ptr, (double *)dx.ptr, d.n, d.c, d.s, inv.p(), w.p());
  check_rc(info.Env(), rc);
  return info.Env().Undefined();
}

// gatherStatsWithCounts(gathered: Float64Array, world, c, eps, mean, invstd, varBiased) → total count
Napi::Value GatherStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t world = dim_arg(info, 1, "worldSize"), c = dim_arg(info, 2, "c");
  double eps = num_arg(info, 3, "eps");
  double *g = out_arg(info, 0, "gathered", 0);
  if ((int64_t)info[0].As<Napi::Float64Array>().ElementLength() < world * (2 * c + 1))
    range_error(env, "gathered is shorter than worldSize*(2c+1)");
  double *mean = out_arg(info, 4, "mean", c), *inv = out_arg(info, 5, "invstd", c);
  double *var = out_arg(info, 6, "varBiased", c);
  double total = 0;
  check_rc(env, ns_gather_stats_with_counts(g, world, c, eps, mean, inv, var, &total));
  return Napi::Number::New(env, total);
}

// copy(dst, src): memcpy over the thread pool (bandwidth reference for benchmarks).
Napi::Value Copy(const Napi::CallbackInfo &info) {
  Data dst = data_arg(info, 0, "dst"), src = data_arg(info, 1, "src");
  if (dst.kind != src.kind || dst.len < src.len) range_error(info.Env(), "dst must be the same kind as src and at least as long");
  check_rc(info.Env(), ns_cpu_copy(dst.ptr, src.ptr, src.len * (src.kind == Kind::F32 ? 4 : 8)));
  return info.Env().Undefined();
}

// Sets the kernel pool and OpenBLAS's own threads (the GEMM) to the same count.
Napi::Value SetThreads(const Napi::CallbackInfo &info) {
  int threads = ns_cpu_set_threads((int)dim_arg(info, 0, "threads"));
#ifdef NS_WITH_OPENBLAS
  ns_gemm_set_threads(threads);
#endif
  return Napi::Number::New(info.Env(), threads);
}

// Which backends exist, and why CUDA cannot run when it cannot.
Napi::Value Info(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("cpuThreads", ns_cpu_threads());
  o.Set("isa", ns_cpu_isa());
#ifdef NS_WITH_OPENBLAS
  int blas = ns_gemm_available();
  o.Set("gemm", blas ? Napi::Value(Napi::String::New(env, "openblas")) : env.Null());
  if (blas) o.Set("gemmThreads", ns_gemm_set_threads(0));
  else o.Set("gemmReason", ns_last_error());
#else
  o.Set("gemm", env.Null());
  o.Set("gemmReason", "the addon was built without OpenBLAS");
#endif
#ifdef NS_WITH_CUDA
  o.Set("cudaCompiled", true);
  int err = 0;
  int count = ns_cuda_device_count(&err);
  if (count < 0) {
    o.Set("cudaDeviceCount", 0);
    o.Set("cudaError", ns_last_error());
    o.Set("cudaErrorCode", err);
  } else {
    o.Set("cudaDeviceCount", count);
    if (count > 0) {
      char name[256] = "";
      uint64_t mem = 0;
      int sms = 0;
      if (ns_cuda_device_info(name, sizeof name, &mem, &sms) == NS_OK) {
        o.Set("cudaDevice", name);
        o.Set("cudaMemoryBytes", (double)mem);
        o.Set("cudaSmCount", sms);
      } else {
        o.Set("cudaError", ns_last_error());
      }
    }
  }
#else
  o.Set("cudaCompiled", false);
#endif
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto bind = [&](Napi::Object target, const char *name, Napi::Function::Callback fn) {
    target.Set(name, Napi::Function::New(env, fn, name));
  };
  Napi::Object cpu = Napi::Object::New(env);
  bind(cpu, "batchStats", BatchStats<&kCpu>);
  bind(cpu, "forwardTrain", ForwardTrain<&kCpu>);
  bind(cpu, "forwardEval", ForwardEval<&kCpu>);
  bind(cpu, "backwardReduce", BackwardReduce<&kCpu>);
  bind(cpu, "backwardElemt", BackwardElemt<&kCpu>);
  bind(cpu, "backwardEvalElemt", BackwardEvalElemt<&kCpu>);
  ns_addon::InitElementwise(env, cpu);
#ifdef NS_WITH_OPENBLAS
  if (ns_addon::InitGemm(env, cpu)) ns_gemm_set_threads(ns_cpu_threads());
#endif
  exports.Set("cpu", cpu);
#ifdef NS_WITH_CUDA
  Napi::Object cuda = Napi::Object::New(env);
  bind(cuda, "batchStats", BatchStats<&kCuda>);
  bind(cuda, "forwardTrain", ForwardTrain<&kCuda>);
  bind(cuda, "forwardEval", ForwardEval<&kCuda>);
  bind(cuda, "backwardReduce", BackwardReduce<&kCuda>);
  bind(cuda, "backwardElemt", BackwardElemt<&kCuda>);
  bind(cuda, "backwardEvalElemt", BackwardEvalElemt<&kCuda>);
  exports.Set("cuda", cuda);
  ns_addon::InitCudaDevice(env, exports);
#endif
  bind(exports, "gatherStatsWithCounts", GatherStats);
  bind(exports, "setThreads", SetThreads);
  bind(exports, "copy", Copy);
  bind(exports, "info", Info);
  if (HaveReadFileRange()) bind(exports, "readFileRange", ReadFileRange);
  bind(exports, "adviseHugePages", AdviseHugePages);
  return exports;
}

}  // namespace

NODE_API_MODULE(normscope, Init)

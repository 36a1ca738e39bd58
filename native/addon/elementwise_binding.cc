// cpu.relu(x, y, n), reluBackward(y, dy, dx, n), add/sub/mul(a, b, out, n), scale(a, s, out, n),
// sum(a, out, n), mseForward(x, t, out, n), mseBackward(x, t, g, gx, gt, n): flat arrays, all
// Float32Array or all Float64Array; data arrays at least n long, scalars (out of sum/mseForward, g)
// at least 1; gx and gt may be null. Anything else is a TypeError/RangeError before memory is touched.
#include "elementwise_binding.h"

#include <cstdint>
#include <string>

#include "../kernels/normscope_kernels.h"
#include "args.h"

namespace ns_addon {
namespace {

struct Arr {
  napi_typedarray_type type;
  void *ptr;
  size_t len;
};

// Argument i as a float array (null allowed when `nullable`), at least `need` elements long, of the
// same type as `first` when given.
Arr arr_arg(const Napi::CallbackInfo &info, const char *what, size_t i, const char *name, int64_t need,
            const Arr *first, bool nullable = false) {
  Napi::Env env = info.Env();
  Napi::Value v = info[i];
  if (nullable && v.IsNull()) return {first ? first->type : napi_float32_array, nullptr, 0};
  Arr a{napi_float32_array, nullptr, 0};
  bool ok = false;
  if (v.IsTypedArray()) {
    napi_typedarray_type t = v.As<Napi::TypedArray>().TypedArrayType();
    if (t == napi_float32_array) {
      Napi::Float32Array f = v.As<Napi::Float32Array>();
      a = {t, f.Data(), f.ElementLength()}, ok = true;
    } else if (t == napi_float64_array) {
      Napi::Float64Array f = v.As<Napi::Float64Array>();
      a = {t, f.Data(), f.ElementLength()}, ok = true;
    }
  }
  if (!ok)
    type_error(env, std::string(what) + ": " + name + " must be a Float32Array or Float64Array" +
                        (nullable ? " or null" : ""));
  if (first && a.type != first->type)
    type_error(env, std::string(what) + ": all arrays must be Float32Array or all Float64Array");
  if ((uint64_t)need > a.len)
    range_error(env, std::string(what) + ": " + name + " has " + std::to_string(a.len) + " elements, needs " +
                         std::to_string(need));
  return a;
}

bool f64(const Arr &a) { return a.type == napi_float64_array; }
template <typename T>
T *p(const Arr &a) {
  return static_cast<T *>(a.ptr);
}

void arity(const Napi::CallbackInfo &info, size_t n, const char *what, const char *sig) {
  if (info.Length() != n) type_error(info.Env(), std::string(what) + ": expected " + sig);
}

// (in0, [in1,] out, n) maps: relu, reluBackward's (y, dy, dx), add/sub/mul.
template <int (*F32)(const float *, float *, int64_t), int (*F64)(const double *, double *, int64_t)>
Napi::Value Unary(const Napi::CallbackInfo &info, const char *what) {
  arity(info, 3, what, "(x, y, n)");
  int64_t n = dim_arg(info, 2, "n");
  Arr x = arr_arg(info, what, 0, "x", n, nullptr), y = arr_arg(info, what, 1, "y", n, &x);
  check_rc(info.Env(), f64(x) ? F64(p<double>(x), p<double>(y), n) : F32(p<float>(x), p<float>(y), n));
  return info.Env().Undefined();
}

template <int (*F32)(const float *, const float *, float *, int64_t),
          int (*F64)(const double *, const double *, double *, int64_t)>
Napi::Value Binary(const Napi::CallbackInfo &info, const char *what, const char *a0, const char *a1, const char *o,
                   bool scalarOut) {
  arity(info, 4, what, "(a, b, out, n)");
  int64_t n = dim_arg(info, 3, "n");
  Arr a = arr_arg(info, what, 0, a0, n, nullptr), b = arr_arg(info, what, 1, a1, n, &a);
  Arr out = arr_arg(info, what, 2, o, scalarOut ? 1 : n, &a);
  check_rc(info.Env(), f64(a) ? F64(p<double>(a), p<double>(b), p<double>(out), n)
                              : F32(p<float>(a), p<float>(b), p<float>(out), n));
  return info.Env().Undefined();
}

Napi::Value Relu(const Napi::CallbackInfo &info) { return Unary<ns_cpu_relu_f32, ns_cpu_relu_f64>(info, "relu"); }
Napi::Value ReluBackward(const Napi::CallbackInfo &info) {
  return Binary<ns_cpu_relu_backward_f32, ns_cpu_relu_backward_f64>(info, "reluBackward", "y", "dy", "dx", false);
}
Napi::Value Add(const Napi::CallbackInfo &info) {
  return Binary<ns_cpu_add_f32, ns_cpu_add_f64>(info, "add", "a", "b", "out", false);
}
Napi::Value Sub(const Napi::CallbackInfo &info) {
  return Binary<ns_cpu_sub_f32, ns_cpu_sub_f64>(info, "sub", "a", "b", "out", false);
}
Napi::Value Mul(const Napi::CallbackInfo &info) {
  return Binary<ns_cpu_mul_f32, ns_cpu_mul_f64>(info, "mul", "a", "b", "out", false);
}
Napi::Value MseForward(const Napi::CallbackInfo &info) {
  return Binary<ns_cpu_mse_forward_f32, ns_cpu_mse_forward_f64>(info, "mseForward", "x", "t", "out", true);
}

Napi::Value Scale(const Napi::CallbackInfo &info) {
  const char *what = "scale";
  arity(info, 4, what, "(a, s, out, n)");
  double s = num_arg(info, 1, "s");
  int64_t n = dim_arg(info, 3, "n");
  Arr a = arr_arg(info, what, 0, "a", n, nullptr), out = arr_arg(info, what, 2, "out", n, &a);
  check_rc(info.Env(), f64(a) ? ns_cpu_scale_f64(p<double>(a), s, p<double>(out), n)
                              : ns_cpu_scale_f32(p<float>(a), s, p<float>(out), n));
  return info.Env().Undefined();
}

Napi::Value Sum(const Napi::CallbackInfo &info) {
  const char *what = "sum";
  arity(info, 3, what, "(a, out, n)");
  int64_t n = dim_arg(info, 2, "n");
  Arr a = arr_arg(info, what, 0, "a", n, nullptr), out = arr_arg(info, what, 1, "out", 1, &a);
  check_rc(info.Env(), f64(a) ? ns_cpu_sum_f64(p<double>(a), p<double>(out), n)
                              : ns_cpu_sum_f32(p<float>(a), p<float>(out), n));
  return info.Env().Undefined();
}

Napi::Value MseBackward(const Napi::CallbackInfo &info) {
  const char *what = "mseBackward";
  arity(info, 6, what, "(x, t, g, gx, gt, n)");
  int64_t n = dim_arg(info, 5, "n");
  Arr x = arr_arg(info, what, 0, "x", n, nullptr), t = arr_arg(info, what, 1, "t", n, &x);
  Arr g = arr_arg(info, what, 2, "g", 1, &x);
  Arr gx = arr_arg(info, what, 3, "gx", n, &x, true), gt = arr_arg(info, what, 4, "gt", n, &x, true);
  check_rc(info.Env(),
           f64(x) ? ns_cpu_mse_backward_f64(p<double>(x), p<double>(t), p<double>(g), p<double>(gx), p<double>(gt), n)
                  : ns_cpu_mse_backward_f32(p<float>(x), p<float>(t), p<float>(g), p<float>(gx), p<float>(gt), n));
  return info.Env().Undefined();
}

}  // namespace

void InitElementwise(Napi::Env env, Napi::Object cpu) {
  auto bind = [&](const char *name, Napi::Function::Callback fn) { cpu.Set(name, Napi::Function::New(env, fn, name)); };
  bind("relu", Relu);
  bind("reluBackward", ReluBackward);
  bind("add", Add);
  bind("sub", Sub);
  bind("mul", Mul);
  bind("scale", Scale);
  bind("sum", Sum);
  bind("mseForward", MseForward);
  bind("mseBackward", MseBackward);
}

}  // namespace ns_addon

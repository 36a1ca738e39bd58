// cpu.gemm(transA, transB, m, n, k, a, b, c): C = op(A)·op(B) through ns_gemm_f32/f64. A, B and C are
// all Float32Array or all Float64Array, at least m·k, k·n and m·n long (callers pass scratch buffers
// that may be longer); anything else is a TypeError/RangeError before any memory is touched.
#include "gemm_binding.h"

#include <cstdint>
#include <string>

#include "../kernels/normscope_gemm.h"
#include "args.h"

namespace ns_addon {
namespace {

struct Mat {
  napi_typedarray_type type;
  void *ptr;
  size_t len;
};

Mat mat_arg(const Napi::CallbackInfo &info, size_t i, const char *name) {
  Napi::Value v = info[i];
  if (v.IsTypedArray()) {
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    if (ta.TypedArrayType() == napi_float32_array) {
      Napi::Float32Array a = v.As<Napi::Float32Array>();
      return {napi_float32_array, a.Data(), a.ElementLength()};
    }
    if (ta.TypedArrayType() == napi_float64_array) {
      Napi::Float64Array a = v.As<Napi::Float64Array>();
      return {napi_float64_array, a.Data(), a.ElementLength()};
    }
  }
  type_error(info.Env(), std::string("gemm: ") + name + " must be a Float32Array or Float64Array");
}

bool bool_arg(const Napi::CallbackInfo &info, size_t i, const char *name) {
  if (!info[i].IsBoolean()) type_error(info.Env(), std::string("gemm: ") + name + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

// rows·cols as an element count, or a RangeError naming the operand when it overflows or exceeds `len`.
void need(Napi::Env env, const char *name, int64_t rows, int64_t cols, size_t len) {
  if (cols != 0 && rows > INT64_MAX / cols) range_error(env, std::string("gemm: ") + name + " size overflows");
  if ((uint64_t)(rows * cols) > len)
    range_error(env, std::string("gemm: ") + name + " has " + std::to_string(len) + " elements, needs " +
                         std::to_string(rows * cols));
}

Napi::Value Gemm(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() != 8) type_error(env, "gemm: expected (transA, transB, m, n, k, a, b, c)");
  bool ta = bool_arg(info, 0, "transA"), tb = bool_arg(info, 1, "transB");
  int64_t m = dim_arg(info, 2, "m"), n = dim_arg(info, 3, "n"), k = dim_arg(info, 4, "k");
  if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) range_error(env, "gemm: m, n and k must each be < 2^31");
  Mat a = mat_arg(info, 5, "a"), b = mat_arg(info, 6, "b"), c = mat_arg(info, 7, "c");
  if (a.type != b.type || a.type != c.type) type_error(env, "gemm: a, b and c must be the same array type");
  need(env, "a", m, k, a.len);
  need(env, "b", k, n, b.len);
  need(env, "c", m, n, c.len);
  int rc = a.type == napi_float32_array
               ? ns_gemm_f32(ta, tb, m, n, k, (const float *)a.ptr, (const float *)b.ptr, (float *)c.ptr)
               : ns_gemm_f64(ta, tb, m, n, k, (const double *)a.ptr, (const double *)b.ptr, (double *)c.ptr);
  check_rc(env, rc);
  return env.Undefined();
}

}  // namespace

bool InitGemm(Napi::Env env, Napi::Object cpu) {
  if (!ns_gemm_available()) return false;
  cpu.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  return true;
}

}  // namespace ns_addon

// Bindings of the device ops that are not BatchNorm (normscope_device.h): linear, conv2d, elementwise,
// losses, SGD, and the inspector's summary and histogram. Arguments: dtype first, then device buffers and sizes; every buffer's size is checked
// against the elements the call touches (see cuda_device.h).
#include <cstdint>

#include "../kernels/normscope_device.h"
#include "cuda_device.h"

namespace {

using namespace ns_addon;

// Picks the f32 or f64 entry point.
template <typename T, typename F32, typename F64>
constexpr auto pick(F32 f32, F64 f64) {
  if constexpr (sizeof(T) == 4) return f32;
  else return f64;
}

int64_t checked_product(const Napi::CallbackInfo &info, int64_t a, int64_t b) {
  if (a > 0 && b > INT64_MAX / a) range_error(info.Env(), "tensor too large");
  return a * b;
}

// linearForward(dt, x, w, b?, y, rows, in, out)
template <typename T>
void LinearForward(const Napi::CallbackInfo &info) {
  int64_t rows = dim_arg(info, 5, "rows"), in = dim_arg(info, 6, "in"), out = dim_arg(info, 7, "out");
  const T *x = ptr_arg<T>(info, 1, "x", checked_product(info, rows, in), sizeof(T));
  const T *w = ptr_arg<T>(info, 2, "weight", checked_product(info, out, in), sizeof(T));
  const T *b = ptr_arg<T>(info, 3, "bias", out, sizeof(T), true);
  T *y = ptr_arg<T>(info, 4, "y", checked_product(info, rows, out), sizeof(T));
  check_rc(info.Env(), pick<T>(ns_cudadev_linear_forward_f32, ns_cudadev_linear_forward_f64)(x, w, b, y, rows, in, out));
}

// linearGradInput(dt, dy, w, dx, rows, in, out)
template <typename T>
void LinearGradInput(const Napi::CallbackInfo &info) {
  int64_t rows = dim_arg(info, 4, "rows"), in = dim_arg(info, 5, "in"), out = dim_arg(info, 6, "out");
  const T *dy = ptr_arg<T>(info, 1, "dy", checked_product(info, rows, out), sizeof(T));
  const T *w = ptr_arg<T>(info, 2, "weight", checked_product(info, out, in), sizeof(T));
  T *dx = ptr_arg<T>(info, 3, "dx", checked_product(info, rows, in), sizeof(T));
  check_rc(info.Env(),
           pick<T>(ns_cudadev_linear_grad_input_f32, ns_cudadev_linear_grad_input_f64)(dy, w, dx, rows, in, out));
}

// linearGradWeight(dt, dy, x, dw?, db?, rows, in, out)
template <typename T>
void LinearGradWeight(const Napi::CallbackInfo &info) {
  int64_t rows = dim_arg(info, 5, "rows"), in = dim_arg(info, 6, "in"), out = dim_arg(info, 7, "out");
  const T *dy = ptr_arg<T>(info, 1, "dy", checked_product(info, rows, out), sizeof(T));
  const T *x = ptr_arg<T>(info, 2, "x", checked_product(info, rows, in), sizeof(T));
  T *dw = ptr_arg<T>(info, 3, "dw", checked_product(info, out, in), sizeof(T), true);
  T *db = ptr_arg<T>(info, 4, "db", out, sizeof(T), true);
  check_rc(info.Env(), pick<T>(ns_cudadev_linear_grad_weight_f32, ns_cudadev_linear_grad_weight_f64)(
                           dy, x, dw, db, rows, in, out));
}

// Conv2d's 13 dims from a JS array, with the element counts of x, weight and y.
struct ConvDims {
  int64_t d[13];
  int64_t x, w, y;
};

ConvDims conv_dims(const Napi::CallbackInfo &info, size_t i) {
  if (!info[i].IsArray() || info[i].As<Napi::Array>().Length() != 13)
    type_error(info.Env(), "dims must be an array of 13 numbers (n, c, h, w, o, kh, kw, sh, sw, ph, pw, oh, ow)");
  Napi::Array a = info[i].As<Napi::Array>();
  ConvDims cd{};
  for (uint32_t k = 0; k < 13; k++) {
    Napi::Value v = a.Get(k);
    double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(x >= 0) || x > 2147483647.0 || x != (double)(int64_t)x) range_error(info.Env(), "dims must be non-negative integers");
    cd.d[k] = (int64_t)x;
  }
  const int64_t *d = cd.d;
  if (d[NS_CONV_SH] == 0 || d[NS_CONV_SW] == 0) range_error(info.Env(), "stride must be positive");
  if (d[NS_CONV_OH] != (d[NS_CONV_H] + 2 * d[NS_CONV_PH] - d[NS_CONV_KH]) / d[NS_CONV_SH] + 1 ||
      d[NS_CONV_OW] != (d[NS_CONV_W] + 2 * d[NS_CONV_PW] - d[NS_CONV_KW]) / d[NS_CONV_SW] + 1 ||
      d[NS_CONV_H] + 2 * d[NS_CONV_PH] < d[NS_CONV_KH] || d[NS_CONV_W] + 2 * d[NS_CONV_PW] < d[NS_CONV_KW])
    range_error(info.Env(), "conv2d output size does not follow from the input, kernel, stride and padding");
  cd.x = checked_product(info, checked_product(info, d[NS_CONV_N], d[NS_CONV_C]), checked_product(info, d[NS_CONV_H], d[NS_CONV_W]));
  cd.w = checked_product(info, checked_product(info, d[NS_CONV_O], d[NS_CONV_C]), checked_product(info, d[NS_CONV_KH], d[NS_CONV_KW]));
  cd.y = checked_product(info, checked_product(info, d[NS_CONV_N], d[NS_CONV_O]), checked_product(info, d[NS_CONV_OH], d[NS_CONV_OW]));
  return cd;
}

// conv2dForward(dt, x, w, b?, y, dims)
template <typename T>
void Conv2dForward(const Napi::CallbackInfo &info) {
  ConvDims cd = conv_dims(info, 5);
  const T *x = ptr_arg<T>(info, 1, "x", cd.x, sizeof(T)), *w = ptr_arg<T>(info, 2, "weight", cd.w, sizeof(T));
  const T *b = ptr_arg<T>(info, 3, "bias", cd.d[NS_CONV_O], sizeof(T), true);
  T *y = ptr_arg<T>(info, 4, "y", cd.y, sizeof(T));
  check_rc(info.Env(), pick<T>(ns_cudadev_conv2d_forward_f32, ns_cudadev_conv2d_forward_f64)(x, w, b, y, cd.d));
}

// conv2dGradInput(dt, dy, w, dx, dims)
template <typename T>
void Conv2dGradInput(const Napi::CallbackInfo &info) {
  ConvDims cd = conv_dims(info, 4);
  const T *dy = ptr_arg<T>(info, 1, "dy", cd.y, sizeof(T)), *w = ptr_arg<T>(info, 2, "weight", cd.w, sizeof(T));
  T *dx = ptr_arg<T>(info, 3, "dx", cd.x, sizeof(T));
  check_rc(info.Env(), pick<T>(ns_cudadev_conv2d_grad_input_f32, ns_cudadev_conv2d_grad_input_f64)(dy, w, dx, cd.d));
}

// conv2dGradWeight(dt, dy, x, dw?, db?, dims)
template <typename T>
void Conv2dGradWeight(const Napi::CallbackInfo &info) {
  ConvDims cd = conv_dims(info, 5);
  const T *dy = ptr_arg<T>(info, 1, "dy", cd.y, sizeof(T)), *x = ptr_arg<T>(info, 2, "x", cd.x, sizeof(T));
  T *dw = ptr_arg<T>(info, 3, "dw", cd.w, sizeof(T), true);
  T *db = ptr_arg<T>(info, 4, "db", cd.d[NS_CONV_O], sizeof(T), true);
  check_rc(info.Env(),
           pick<T>(ns_cudadev_conv2d_grad_weight_f32, ns_cudadev_conv2d_grad_weight_f64)(dy, x, dw, db, cd.d));
}

// relu(dt, x, y, n)
template <typename T>
void Relu(const Napi::CallbackInfo &info) {
  int64_t n = dim_arg(info, 3, "n");
  const T *x = ptr_arg<T>(info, 1, "x", n, sizeof(T));
  T *y = ptr_arg<T>(info, 2, "y", n, sizeof(T));
  check_rc(info.Env(), pick<T>(ns_cudadev_relu_f32, ns_cudadev_relu_f64)(x, y, n));
}

// reluBackward(dt, y, dy, dx, n)
template <typename T>
void ReluBackward(const Napi::CallbackInfo &info) {
  int64_t n = dim_arg(info, 4, "n");
  const T *y = ptr_arg<T>(info, 1, "y", n, sizeof(T)), *dy = ptr_arg<T>(info, 2, "dy", n, sizeof(T));
  T *dx = ptr_arg<T>(info, 3, "dx", n, sizeof(T));
  check_rc(info.Env(), pick<T>(ns_cudadev_relu_backward_f32, ns_cudadev_relu_backward_f64)(y, dy, dx, n));
}

// add / sub / mul (dt, a, b, out, n)
template <typename T, int OP>
void Binary(const Napi::CallbackInfo &info) {
  int64_t n = dim_arg(info, 4, "n");
  const T *a = ptr_arg<T>(info, 1, "a", n, sizeof(T)), *b = ptr_arg<T>(info, 2, "b", n, sizeof(T));
  T *out = ptr_arg<T>(info, 3, "out", n, sizeof(T));
  auto f = OP == 0 ? pick<T>(ns_cudadev_add_f32, ns_cudadev_add_f64)
                   : OP == 1 ? pick<T>(ns_cudadev_sub_f32, ns_cudadev_sub_f64) : pick<T>(ns_cudadev_mul_f32, ns_cudadev_mul_f64);
  check_rc(info.Env(), f(a, b, out, n));
}
template <typename T> void Add(const Napi::CallbackInfo &info) { Binary<T, 0>(info); }
template <typename T> void Sub(const Napi::CallbackInfo &info) { Binary<T, 1>(info); }
template <typename T> void Mul(const Napi::CallbackInfo &info) { Binary<T, 2>(info); }

// scale(dt, a, s, out, n)
template <typename T>
void Scale(const Napi::CallbackInfo &info) {
  int64_t n = dim_arg(info, 4, "n");
  const T *a = ptr_arg<T>(info, 1, "a", n, sizeof(T));
  double s = num_arg(info, 2, "s");
  T *out = ptr_arg<T>(info, 3, "out", n, sizeof(T));
  check_rc(info.Env(), pick<T>(ns_cudadev_scale_f32, ns_cudadev_scale_f64)(a, s, out, n));
}

// fillFrom(dt, scalar, s, out, n)
template <typename T>
void FillFrom(const Napi::CallbackInfo &info) {
  int64_t n = dim_arg(info, 4, "n");
  const T *scalar = ptr_arg<T>(info, 1, "scalar", 1, sizeof(T));
  double s = num_arg(info, 2, "s");
  T *out = ptr_arg<T>(info, 3, "out", n, sizeof(T));
  check_rc(info.Env(), pick<T>(ns_cudadev_fill_from_f32, ns_cudadev_fill_from_f64)(scalar, s, out, n));
}

// sum(dt, a, out, n)
template <typename T>
void Sum(const Napi::CallbackInfo &info) {
  int64_t n = dim_arg(info, 3, "n");
  const T *a = ptr_arg<T>(info, 1, "a", n, sizeof(T));
  T *out = ptr_arg<T>(info, 2, "out", 1, sizeof(T));
  check_rc(info.Env(), pick<T>(ns_cudadev_sum_f32, ns_cudadev_sum_f64)(a, out, n));
}

// mseForward(dt, x, t, out, n)
template <typename T>
void MseForward(const Napi::CallbackInfo &info) {
  int64_t n = dim_arg(info, 4, "n");
  const T *x = ptr_arg<T>(info, 1, "x", n, sizeof(T)), *t = ptr_arg<T>(info, 2, "target", n, sizeof(T));
  T *out = ptr_arg<T>(info, 3, "out", 1, sizeof(T));
  check_rc(info.Env(), pick<T>(ns_cudadev_mse_forward_f32, ns_cudadev_mse_forward_f64)(x, t, out, n));
}

// mseBackward(dt, x, t, g, gx?, gt?, n)
template <typename T>
void MseBackward(const Napi::CallbackInfo &info) {
  int64_t n = dim_arg(info, 6, "n");
  const T *x = ptr_arg<T>(info, 1, "x", n, sizeof(T)), *t = ptr_arg<T>(info, 2, "target", n, sizeof(T));
  const T *g = ptr_arg<T>(info, 3, "grad", 1, sizeof(T));
  T *gx = ptr_arg<T>(info, 4, "gx", n, sizeof(T), true), *gt = ptr_arg<T>(info, 5, "gt", n, sizeof(T), true);
  check_rc(info.Env(), pick<T>(ns_cudadev_mse_backward_f32, ns_cudadev_mse_backward_f64)(x, t, g, gx, gt, n));
}

// crossEntropyForward(dt, z, target(int64), probs(double), out, rows, classes)
template <typename T>
void CrossEntropyForward(const Napi::CallbackInfo &info) {
  int64_t rows = dim_arg(info, 5, "rows"), classes = dim_arg(info, 6, "classes");
  int64_t total = checked_product(info, rows, classes);
  const T *z = ptr_arg<T>(info, 1, "z", total, sizeof(T));
  const int64_t *t = ptr_arg<int64_t>(info, 2, "target", rows, sizeof(int64_t));
  double *probs = ptr_arg<double>(info, 3, "probs", total, sizeof(double));
  T *out = ptr_arg<T>(info, 4, "out", 1, sizeof(T));
  check_rc(info.Env(), pick<T>(ns_cudadev_cross_entropy_forward_f32, ns_cudadev_cross_entropy_forward_f64)(
                           z, t, probs, out, rows, classes));
}

// crossEntropyBackward(dt, probs, target, g, gz, rows, classes)
template <typename T>
void CrossEntropyBackward(const Napi::CallbackInfo &info) {
  int64_t rows = dim_arg(info, 5, "rows"), classes = dim_arg(info, 6, "classes");
  int64_t total = checked_product(info, rows, classes);
  const double *probs = ptr_arg<double>(info, 1, "probs", total, sizeof(double));
  const int64_t *t = ptr_arg<int64_t>(info, 2, "target", rows, sizeof(int64_t));
  const T *g = ptr_arg<T>(info, 3, "grad", 1, sizeof(T));
  T *gz = ptr_arg<T>(info, 4, "gz", total, sizeof(T));
  check_rc(info.Env(), pick<T>(ns_cudadev_cross_entropy_backward_f32, ns_cudadev_cross_entropy_backward_f64)(
                           probs, t, g, gz, rows, classes));
}

// sgdStep(dt, w, g, buf?, n, lr, momentum, dampening, weightDecay, nesterov, first)
template <typename T>
void SgdStep(const Napi::CallbackInfo &info) {
  int64_t n = dim_arg(info, 4, "n");
  T *w = ptr_arg<T>(info, 1, "param", n, sizeof(T));
  const T *g = ptr_arg<T>(info, 2, "grad", n, sizeof(T));
  double *buf = ptr_arg<double>(info, 3, "momentumBuffer", n, sizeof(double), true);
  double lr = num_arg(info, 5, "lr"), mom = num_arg(info, 6, "momentum"), damp = num_arg(info, 7, "dampening");
  double wd = num_arg(info, 8, "weightDecay");
  if (mom != 0 && !buf) type_error(info.Env(), "momentumBuffer is required with momentum");
  int nesterov = info[9].ToBoolean() ? 1 : 0, first = info[10].ToBoolean() ? 1 : 0;
  check_rc(info.Env(), pick<T>(ns_cudadev_sgd_step_f32, ns_cudadev_sgd_step_f64)(w, g, buf, n, lr, mom, damp, wd,
                                                                                  nesterov, first));
}

// summary(dt, x, n, out): 7 doubles on the device (normscope_device.h)
template <typename T>
void Summary(const Napi::CallbackInfo &info) {
  int64_t n = dim_arg(info, 2, "n");
  const T *x = ptr_arg<T>(info, 1, "x", n, sizeof(T));
  double *out = ptr_arg<double>(info, 3, "out", 7, sizeof(double));
  check_rc(info.Env(), pick<T>(ns_cudadev_summary_f32, ns_cudadev_summary_f64)(x, n, out));
}

// histogram(dt, x, n, lo, hi, width, bins, counts): bins uint64 on the device
template <typename T>
void Histogram(const Napi::CallbackInfo &info) {
  int64_t n = dim_arg(info, 2, "n"), bins = dim_arg(info, 6, "bins");
  const T *x = ptr_arg<T>(info, 1, "x", n, sizeof(T));
  double lo = num_arg(info, 3, "lo"), hi = num_arg(info, 4, "hi"), width = num_arg(info, 5, "width");
  uint64_t *counts = ptr_arg<uint64_t>(info, 7, "counts", bins, sizeof(uint64_t));
  check_rc(info.Env(), pick<T>(ns_cudadev_histogram_f32, ns_cudadev_histogram_f64)(x, n, lo, hi, width, bins, counts));
}

NS_BIND_T(Summary)
NS_BIND_T(Histogram)
NS_BIND_T(LinearForward)
NS_BIND_T(LinearGradInput)
NS_BIND_T(LinearGradWeight)
NS_BIND_T(Conv2dForward)
NS_BIND_T(Conv2dGradInput)
NS_BIND_T(Conv2dGradWeight)
NS_BIND_T(Relu)
NS_BIND_T(ReluBackward)
NS_BIND_T(Add)
NS_BIND_T(Sub)
NS_BIND_T(Mul)
NS_BIND_T(Scale)
NS_BIND_T(FillFrom)
NS_BIND_T(Sum)
NS_BIND_T(MseForward)
NS_BIND_T(MseBackward)
NS_BIND_T(CrossEntropyForward)
NS_BIND_T(CrossEntropyBackward)
NS_BIND_T(SgdStep)

}  // namespace

namespace ns_addon {

void BindDeviceOps(Napi::Env env, Napi::Object o) {
  auto bind = [&](const char *name, Napi::Function::Callback fn) { o.Set(name, Napi::Function::New(env, fn, name)); };
  bind("linearForward", by_dtype<LinearForwardFn>);
  bind("linearGradInput", by_dtype<LinearGradInputFn>);
  bind("linearGradWeight", by_dtype<LinearGradWeightFn>);
  bind("conv2dForward", by_dtype<Conv2dForwardFn>);
  bind("conv2dGradInput", by_dtype<Conv2dGradInputFn>);
  bind("conv2dGradWeight", by_dtype<Conv2dGradWeightFn>);
  bind("relu", by_dtype<ReluFn>);
  bind("reluBackward", by_dtype<ReluBackwardFn>);
  bind("add", by_dtype<AddFn>);
  bind("sub", by_dtype<SubFn>);
  bind("mul", by_dtype<MulFn>);
  bind("scale", by_dtype<ScaleFn>);
  bind("fillFrom", by_dtype<FillFromFn>);
  bind("sum", by_dtype<SumFn>);
  bind("mseForward", by_dtype<MseForwardFn>);
  bind("mseBackward", by_dtype<MseBackwardFn>);
  bind("crossEntropyForward", by_dtype<CrossEntropyForwardFn>);
  bind("crossEntropyBackward", by_dtype<CrossEntropyBackwardFn>);
  bind("sgdStep", by_dtype<SgdStepFn>);
  bind("summary", by_dtype<SummaryFn>);
  bind("histogram", by_dtype<HistogramFn>);
}

}  // namespace ns_addon

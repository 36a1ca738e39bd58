// Plain C++ reference of the device-resident ops (normscope_device.h) for device_ops_harness.cc:
// straightforward loops, sums in long double (x86's 64-bit mantissa: the reference's own rounding is
// far below the tolerances) rounded once to T. Each result carries its scale Σ|terms|, the size of what
// was summed, which the harness measures differences against.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "../kernels/normscope_device.h"

template <typename T>
struct Ref {
  std::vector<T> v;
  std::vector<double> scale;
  explicit Ref(size_t n = 0) : v(n), scale(n) {}
  void set(size_t i, long double s, long double a) {
    v[i] = (T)(double)s;
    scale[i] = (double)a;
  }
};

// y[r, o] = b[o] + Σ_k x[r, k]·w[o, k]
template <typename T>
Ref<T> ref_linear(const std::vector<T> &x, const std::vector<T> &w, const T *b, int64_t rows, int64_t in,
                  int64_t out) {
  Ref<T> y(rows * out);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t o = 0; o < out; o++) {
      long double s = b ? b[o] : 0, a = b ? std::fabs((long double)b[o]) : 0;
      for (int64_t k = 0; k < in; k++) {
        const long double t = (long double)x[r * in + k] * w[o * in + k];
        s += t;
        a += std::fabs(t);
      }
      y.set(r * out + o, s, a);
    }
  return y;
}

// dx[r, k] = Σ_o dy[r, o]·w[o, k]
template <typename T>
Ref<T> ref_linear_dx(const std::vector<T> &dy, const std::vector<T> &w, int64_t rows, int64_t in, int64_t out) {
  Ref<T> dx(rows * in);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t k = 0; k < in; k++) {
      long double s = 0, a = 0;
      for (int64_t o = 0; o < out; o++) {
        const long double t = (long double)dy[r * out + o] * w[o * in + k];
        s += t;
        a += std::fabs(t);
      }
      dx.set(r * in + k, s, a);
    }
  return dx;
}

// dw[o, k] = Σ_r dy[r, o]·x[r, k]; db[o] = Σ_r dy[r, o]
template <typename T>
void ref_linear_dw(const std::vector<T> &dy, const std::vector<T> &x, int64_t rows, int64_t in, int64_t out,
                   Ref<T> &dw, Ref<T> &db) {
  dw = Ref<T>(out * in);
  db = Ref<T>(out);
  for (int64_t o = 0; o < out; o++) {
    for (int64_t k = 0; k < in; k++) {
      long double s = 0, a = 0;
      for (int64_t r = 0; r < rows; r++) {
        const long double t = (long double)dy[r * out + o] * x[r * in + k];
        s += t;
        a += std::fabs(t);
      }
      dw.set(o * in + k, s, a);
    }
    long double s = 0, a = 0;
    for (int64_t r = 0; r < rows; r++) s += dy[r * out + o], a += std::fabs((long double)dy[r * out + o]);
    db.set(o, s, a);
  }
}

struct Conv {
  int64_t n, c, h, w, o, kh, kw, sh, sw, ph, pw, oh, ow;
  Conv(int64_t n_, int64_t c_, int64_t h_, int64_t w_, int64_t o_, int64_t kh_, int64_t kw_, int64_t sh_, int64_t sw_,
       int64_t ph_, int64_t pw_)
      : n(n_), c(c_), h(h_), w(w_), o(o_), kh(kh_), kw(kw_), sh(sh_), sw(sw_), ph(ph_), pw(pw_),
        oh((h_ + 2 * ph_ - kh_) / sh_ + 1), ow((w_ + 2 * pw_ - kw_) / sw_ + 1) {}
  void dims(int64_t d[13]) const {
    const int64_t v[13] = {n, c, h, w, o, kh, kw, sh, sw, ph, pw, oh, ow};
    for (int i = 0; i < 13; i++) d[i] = v[i];
  }
  int64_t xs() const { return n * c * h * w; }
  int64_t ws() const { return o * c * kh * kw; }
  int64_t ys() const { return n * o * oh * ow; }
  int64_t xi(int64_t N, int64_t C, int64_t H, int64_t W) const { return ((N * c + C) * h + H) * w + W; }
  int64_t wi(int64_t O, int64_t C, int64_t P, int64_t Q) const { return ((O * c + C) * kh + P) * kw + Q; }
  int64_t yi(int64_t N, int64_t O, int64_t I, int64_t J) const { return ((N * o + O) * oh + I) * ow + J; }
  // Calls f(y index, x index, w index) for every tap that lands inside the input.
  template <typename F>
  void taps(F f) const {
    for (int64_t N = 0; N < n; N++)
      for (int64_t O = 0; O < o; O++)
        for (int64_t I = 0; I < oh; I++)
          for (int64_t J = 0; J < ow; J++)
            for (int64_t C = 0; C < c; C++)
              for (int64_t P = 0; P < kh; P++)
                for (int64_t Q = 0; Q < kw; Q++) {
                  const int64_t H = I * sh + P - ph, W = J * sw + Q - pw;
                  if (H >= 0 && H < h && W >= 0 && W < w) f(yi(N, O, I, J), xi(N, C, H, W), wi(O, C, P, Q));
                }
  }
};

// The three conv2d results by scattering every tap's product into long double accumulators.
template <typename T>
void ref_conv(const Conv &d, const std::vector<T> &x, const std::vector<T> &w, const T *b, const std::vector<T> &dy,
              Ref<T> &y, Ref<T> &dx, Ref<T> &dw, Ref<T> &db) {
  std::vector<long double> ys(d.ys()), ya(d.ys()), xs(d.xs()), xa(d.xs()), wsum(d.ws()), wa(d.ws()), bs(d.o), ba(d.o);
  for (int64_t i = 0; i < d.ys(); i++) {
    const int64_t O = (i / (d.oh * d.ow)) % d.o;
    ys[i] = b ? b[O] : 0;
    ya[i] = b ? std::fabs((long double)b[O]) : 0;
    bs[O] += dy[i];
    ba[O] += std::fabs((long double)dy[i]);
  }
  d.taps([&](int64_t yi, int64_t xi, int64_t wi) {
    const long double f = (long double)x[xi] * w[wi], g = (long double)dy[yi] * w[wi], h = (long double)dy[yi] * x[xi];
    ys[yi] += f;
    ya[yi] += std::fabs(f);
    xs[xi] += g;
    xa[xi] += std::fabs(g);
    wsum[wi] += h;
    wa[wi] += std::fabs(h);
  });
  y = Ref<T>(d.ys());
  dx = Ref<T>(d.xs());
  dw = Ref<T>(d.ws());
  db = Ref<T>(d.o);
  for (int64_t i = 0; i < d.ys(); i++) y.set(i, ys[i], ya[i]);
  for (int64_t i = 0; i < d.xs(); i++) dx.set(i, xs[i], xa[i]);
  for (int64_t i = 0; i < d.ws(); i++) dw.set(i, wsum[i], wa[i]);
  for (int64_t i = 0; i < d.o; i++) db.set(i, bs[i], ba[i]);
}

// Cross entropy: probs (double) and the mean loss, as engine/nn/functional/losses.ts.
template <typename T>
void ref_ce(const std::vector<T> &z, const std::vector<int64_t> &t, int64_t rows, int64_t classes, Ref<double> &probs,
            Ref<T> &loss) {
  probs = Ref<double>(rows * classes);
  loss = Ref<T>(1);
  long double s = 0, a = 0;
  for (int64_t r = 0; r < rows; r++) {
    long double m = -INFINITY, se = 0;
    for (int64_t c = 0; c < classes; c++) m = std::fmax(m, (long double)z[r * classes + c]);
    for (int64_t c = 0; c < classes; c++) se += std::exp((long double)z[r * classes + c] - m);
    const long double lse = m + std::log(se);
    for (int64_t c = 0; c < classes; c++) {
      const long double p = std::exp((long double)z[r * classes + c] - lse);
      probs.set(r * classes + c, p, p);
    }
    s += lse - z[r * classes + t[r]];
    a += std::fabs(lse) + std::fabs((long double)z[r * classes + t[r]]);
  }
  loss.set(0, rows ? s / rows : NAN, rows ? a / rows : 0);
}

// Neumaier's compensated sum in long double: exact to ~2^-64 of Σ|terms| whatever the count (a plain
// long double sum of 3·10^5 equal terms drifts by n·2^-65 of the total: a dozen double ulps of a mean).
struct ExactSum {
  long double s = 0, c = 0;
  void add(long double v) {
    const long double t = s + v;
    c += std::fabs(s) >= std::fabs(v) ? (s - t) + v : (v - t) + s;
    s = t;
  }
  long double get() const { return s + c; }
};

// The inspector's summary (engine/inspect/summary.ts's summarizeFloat): [finite count, NaN count, ±inf
// count, min, max, mean, m2] over the finite values, with mean = Σv/count rounded once to double (Σ
// compensated: the exact mean to one rounding) and m2 = Σc² − (Σc)²/count, c = v − mean, compensated
// in long double (the exact Σ(v − x̄)² to far below the tolerances). Empty (count 0): [0, nans, infs,
// +inf, −inf, 0, 0]. mean_scale = Σ|v|/count, the size of what the mean sums.
struct SummaryRef {
  double v[7];
  double mean_scale;
};

template <typename T>
SummaryRef ref_summary(const std::vector<T> &x) {
  ExactSum s;
  long double a = 0;
  double cnt = 0, nan = 0, inf = 0, mn = INFINITY, mx = -INFINITY;
  for (T t : x) {
    const double v = (double)t;
    if (std::isnan(v)) {
      nan++;
    } else if (std::isinf(v)) {
      inf++;
    } else {
      cnt++;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
      s.add(v);
      a += std::fabs(v);
    }
  }
  const double mean = cnt ? (double)(s.get() / cnt) : 0;
  ExactSum q, c1;
  for (T t : x) {
    const double v = (double)t;
    if (!std::isfinite(v)) continue;
    const long double c = (long double)v - mean;
    q.add(c * c);
    c1.add(c);
  }
  const double m2 = cnt ? (double)(q.get() - c1.get() * c1.get() / cnt) : 0;
  return {{cnt, nan, inf, mn, mx, mean, m2}, cnt ? (double)(a / cnt) : 0};
}

// JavaScript's Math.min for two numbers: NaN when either is NaN (std::min would return the first).
inline double js_min(double a, double b) { return a != a || b != b ? NAN : (b < a ? b : a); }

// engine/inspect/summary.ts's histogram, written as the TypeScript is: finite v in [lo, hi] goes to
// counts[Math.min(bins − 1, Math.floor((v − lo)/width))]; a NaN index (lo NaN) counts nowhere, as
// `counts[NaN]++` adds to no element of the array.
template <typename T>
std::vector<uint64_t> ref_histogram(const std::vector<T> &x, double lo, double hi, double width, int64_t bins) {
  std::vector<uint64_t> counts(bins, 0);
  for (T t : x) {
    const double v = (double)t;
    if (!std::isfinite(v) || v < lo || v > hi) continue;
    const double b = js_min((double)(bins - 1), std::floor((v - lo) / width));
    if (b == b) counts[(size_t)b]++;
  }
  return counts;
}

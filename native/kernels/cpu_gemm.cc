// ns_gemm_* (normscope_gemm.h) over OpenBLAS, resolved with dlopen so the addon never fails to load
// for want of it. The cblas enums and signatures are spelled out here (they are fixed by the CBLAS
// standard), so no OpenBLAS header is needed; blasint is 32-bit in Debian's libopenblas0.
#include <dlfcn.h>

#include <climits>
#include <cstring>
#include <mutex>
#include <string>

#include "normscope_gemm.h"
#include "ns_error.h"

namespace {

enum { kRowMajor = 101, kNoTrans = 111, kTrans = 112 };
using sgemm_t = void (*)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *,
                         int);
using dgemm_t = void (*)(int, int, int, int, int, int, double, const double *, int, const double *, int, double,
                         double *, int);
using threads_t = void (*)(int);
using get_threads_t = int (*)(void);

struct Blas {
  sgemm_t sgemm = nullptr;
  dgemm_t dgemm = nullptr;
  threads_t set_threads = nullptr;
  get_threads_t get_threads = nullptr;
  std::string reason;
};

// The directory of this shared object (the addon), for a bundled libopenblas.so.0 beside it.
std::string own_dir() {
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(&own_dir), &info) || !info.dli_fname) return "";
  std::string p = info.dli_fname;
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? "" : p.substr(0, slash + 1);
}

const Blas &blas() {
  static Blas b;
  static std::once_flag once;
  std::call_once(once, [] {
#ifndef NS_WITH_OPENBLAS
    b.reason = "the addon was built without OpenBLAS";
#else
    void *h = nullptr;
    std::string bundled = own_dir() + "libopenblas.so.0";
    for (const char *name : {bundled.c_str(), "libopenblas.so.0", "libopenblas.so"}) {
      if (*name && (h = dlopen(name, RTLD_NOW | RTLD_LOCAL))) break;
    }
    if (!h) {
      const char *e = dlerror();
      b.reason = std::string("OpenBLAS not found: ") + (e ? e : "dlopen failed");
      return;
    }
    b.sgemm = reinterpret_cast<sgemm_t>(dlsym(h, "cblas_sgemm"));
    b.dgemm = reinterpret_cast<dgemm_t>(dlsym(h, "cblas_dgemm"));
    b.set_threads = reinterpret_cast<threads_t>(dlsym(h, "openblas_set_num_threads"));
    b.get_threads = reinterpret_cast<get_threads_t>(dlsym(h, "openblas_get_num_threads"));
    if (!b.sgemm || !b.dgemm || !b.set_threads || !b.get_threads) {
      b = Blas{};
      b.reason = "the loaded libopenblas lacks cblas_sgemm/cblas_dgemm/openblas_set_num_threads";
    }
#endif
  });
  return b;
}

int check(int64_t m, int64_t n, int64_t k, const void *a, const void *b, const void *c) {
  if (m < 0 || n < 0 || k < 0 || m > INT_MAX || n > INT_MAX || k > INT_MAX)
    return ns::set_error(NS_EINVAL, "gemm: dimensions must be in [0, 2^31)");
  if ((m > 0 && k > 0 && !a) || (k > 0 && n > 0 && !b) || (m > 0 && n > 0 && !c))
    return ns::set_error(NS_EINVAL, "gemm: null matrix");
  if (!blas().sgemm) return ns::set_error(NS_ENOBLAS, blas().reason.c_str());
  return NS_OK;
}

template <typename T, typename F>
int gemm(F fn, int ta, int tb, int64_t m, int64_t n, int64_t k, const T *a, const T *b, T *c) {
  int rc = check(m, n, k, a, b, c);
  if (rc != NS_OK) return rc;
  if (m == 0 || n == 0) return ns::clear_error();
  if (k == 0) {  // BLAS leaves C alone when k == 0 with beta = 0 only by convention; be explicit
    std::memset(c, 0, sizeof(T) * (size_t)m * (size_t)n);
    return ns::clear_error();
  }
  int lda = ta ? (int)m : (int)k, ldb = tb ? (int)k : (int)n;
  fn(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, (int)m, (int)n, (int)k, T(1), a, lda, b, ldb, T(0), c,
     (int)n);
  return ns::clear_error();
}

}  // namespace

NS_API int ns_gemm_available(void) {
  if (blas().sgemm) return 1;
  ns::set_error(NS_ENOBLAS, blas().reason.c_str());
  return 0;
}

NS_API int ns_gemm_set_threads(int threads) {
  if (!blas().set_threads) return ns::set_error(NS_ENOBLAS, blas().reason.c_str());
  if (threads > 0) blas().set_threads(threads);
  return blas().get_threads();
}

NS_API int ns_gemm_f32(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, const float *b, float *c) {
  return gemm<float>(blas().sgemm, ta, tb, m, n, k, a, b, c);
}

NS_API int ns_gemm_f64(int ta, int tb, int64_t m, int64_t n, int64_t k, const double *a, const double *b, double *c) {
  return gemm<double>(blas().dgemm, ta, tb, m, n, k, a, b, c);
}

// Persistent pool: workers sleep on a condition variable between jobs and claim tasks from a shared
// atomic counter (dynamic scheduling balances tasks of unequal cost). The caller works too and waits
// only for claimed tasks to finish, never for sleeping workers to wake up: on a loaded machine a woken
// thread can wait a whole time slice for a core, and by then the caller has usually done the work.
// The claim counter carries the job's generation, so a worker that wakes late cannot claim a task of
// a later job with the earlier job's function.
// After a job, workers (and a caller whose tasks are still running) spin for a short while before they
// sleep: kernels come in bursts (backward is two calls, a stack step is several), and a sleeping
// thread takes 10–60 µs to wake on these machines, a large share of a 100 µs kernel. The spin is
// bounded (NORMSCOPE_SPIN_US, default 100 µs; 0 disables it), so an idle pool costs nothing.
#include "thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace ns {
namespace {

struct Pool {
  std::mutex call_mu;  // one job at a time
  std::mutex mu;
  std::condition_variable wake, done;
  std::vector<std::thread> workers;
  uint32_t generation = 0;  // guarded by mu
  bool stopping = false;
  // the current job (written under mu before the generation changes)
  TaskFn fn = nullptr;
  void *ctx = nullptr;
  int64_t ntasks = 0;
  std::atomic<uint64_t> claim{0};      // (generation << 32) | next task index
  std::atomic<int64_t> remaining{0};   // tasks of the current job not yet finished
  std::atomic<uint32_t> published{0};  // the generation, readable without mu (for spinning)
  int size = 1;                        // threads including the caller
  int64_t spin_ns = spin_budget_ns();

  static int64_t spin_budget_ns() {
    const char *e = std::getenv("NORMSCOPE_SPIN_US");
    const long long us = e && *e ? std::atoll(e) : 100;
    return us > 0 ? (int64_t)(us > 100000 ? 100000 : us) * 1000 : 0;
  }

  // Spins until done() or the budget runs out; true when done() became true.
  template <typename F>
  bool spin_until(F done) const {
    if (spin_ns <= 0) return done();
    const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(spin_ns);
    for (int i = 0;; i++) {
      if (done()) return true;
      if ((i & 63) == 63 && std::chrono::steady_clock::now() >= until) return done();
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
  }

  // Claims and runs tasks of job `gen` until none are left.
  void drain(uint32_t gen, TaskFn f, void *c, int64_t n) {
    for (;;) {
      uint64_t s = claim.load(std::memory_order_acquire);
      for (;;) {
        if ((uint32_t)(s >> 32) != gen || (int64_t)(s & 0xffffffffu) >= n) return;
        if (claim.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) break;
      }
      f(c, (int64_t)(s & 0xffffffffu));
      if (remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lk(mu);  // pairs with the caller's wait: no lost wake-up
        done.notify_all();
      }
    }
  }

  void worker_main(uint32_t seen) {
    for (;;) {
      TaskFn f;
      void *c;
      int64_t n;
      spin_until([&] { return published.load(std::memory_order_acquire) != seen; });
      {
        std::unique_lock<std::mutex> lk(mu);
        wake.wait(lk, [&] { return stopping || generation != seen; });
        if (stopping) return;
        seen = generation;
        f = fn;
        c = ctx;
        n = ntasks;
      }
      drain(seen, f, c, n);
    }
  }

  void start(int threads) {
    size = threads < 1 ? 1 : threads;
    stopping = false;
    const uint32_t g = generation;  // new workers must not run the previous job again
    for (int i = 1; i < size; i++) workers.emplace_back([this, g] { worker_main(g); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu);
      stopping = true;
    }
    wake.notify_all();
    for (auto &w : workers) w.join();
    workers.clear();
  }

  void run(int64_t n, TaskFn f, void *c) {
    std::lock_guard<std::mutex> call(call_mu);
    if (size <= 1 || n <= 1 || n > 0xffffffffLL) {
      for (int64_t t = 0; t < n; t++) f(c, t);
      return;
    }
    uint32_t gen;
    {
      std::lock_guard<std::mutex> lk(mu);
      fn = f;
      ctx = c;
      ntasks = n;
      gen = ++generation;
      remaining.store(n, std::memory_order_relaxed);
      claim.store((uint64_t)gen << 32, std::memory_order_release);
      published.store(gen, std::memory_order_release);
    }
    wake.notify_all();
    drain(gen, f, c, n);
    if (spin_until([&] { return remaining.load(std::memory_order_acquire) == 0; })) return;
    std::unique_lock<std::mutex> lk(mu);
    done.wait(lk, [&] { return remaining.load(std::memory_order_acquire) == 0; });
  }
};

int default_threads() {
  const char *env = std::getenv("NORMSCOPE_NUM_THREADS");
  if (env && *env) {
    int v = std::atoi(env);
    if (v > 0) return v > 256 ? 256 : v;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : (int)(hc > 256 ? 256 : hc);
}

// Leaked on purpose: workers must not be joined from static destructors at process exit.
Pool *pool() {
  static Pool *p = [] {
    Pool *q = new Pool();
    q->start(default_threads());
    return q;
  }();
  return p;
}

}  // namespace

void pool_run(int64_t ntasks, TaskFn fn, void *ctx, bool parallel) {
  if (!parallel) {
    for (int64_t t = 0; t < ntasks; t++) fn(ctx, t);
    return;
  }
  pool()->run(ntasks, fn, ctx);
}

int pool_threads() { return pool()->size; }

int pool_set_threads(int threads) {
  Pool *p = pool();
  std::lock_guard<std::mutex> call(p->call_mu);
  int want = threads > 0 ? (threads > 256 ? 256 : threads) : default_threads();
  if (want == p->size) return want;
  p->stop();
  p->start(want);
  return p->size;
}

}  // namespace ns

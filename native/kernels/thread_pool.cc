// Persistent pool: workers sleep on a condition variable between jobs and take tasks from a shared
// atomic counter (dynamic scheduling balances channels of unequal cost).
#include "thread_pool.h"

#include <atomic>
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
  uint64_t generation = 0;
  bool stopping = false;
  // the current job
  TaskFn fn = nullptr;
  void *ctx = nullptr;
  int64_t ntasks = 0;
  std::atomic<int64_t> next{0};
  int busy = 0;
  int size = 1;  // threads including the caller

  void drain() {
    for (;;) {
      int64_t t = next.fetch_add(1, std::memory_order_relaxed);
      if (t >= ntasks) break;
      fn(ctx, t);
    }
  }

  void worker_main(uint64_t seen) {
    for (;;) {
      {
        std::unique_lock<std::mutex> lk(mu);
        wake.wait(lk, [&] { return stopping || generation != seen; });
        if (stopping) return;
        seen = generation;
      }
      drain();
      {
        std::lock_guard<std::mutex> lk(mu);
        if (--busy == 0) done.notify_one();
      }
    }
  }

  void start(int threads) {
    size = threads < 1 ? 1 : threads;
    stopping = false;
    uint64_t g = generation;  // new workers must not run the previous job again
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
    if (size <= 1 || n <= 1) {
      for (int64_t t = 0; t < n; t++) f(c, t);
      return;
    }
    {
      std::lock_guard<std::mutex> lk(mu);
      fn = f;
      ctx = c;
      ntasks = n;
      next.store(0, std::memory_order_relaxed);
      busy = (int)workers.size();
      generation++;
    }
    wake.notify_all();
    drain();
    std::unique_lock<std::mutex> lk(mu);
    done.wait(lk, [&] { return busy == 0; });
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

// A small persistent thread pool for the CPU kernels. One job runs at a time (calls from several
// threads — e.g. Node worker threads — are serialised); the calling thread works on the job too.
// The interface is a plain function pointer so kernels compiled for another instruction set
// (cpu_kernels.cc's AVX2 copy) share no template code with it.
#ifndef NORMSCOPE_THREAD_POOL_H
#define NORMSCOPE_THREAD_POOL_H

#include <cstdint>

namespace ns {

typedef void (*TaskFn)(void *ctx, int64_t task);

// Runs fn(ctx, t) for t in [0, ntasks), spread over the pool when `parallel` (else inline).
void pool_run(int64_t ntasks, TaskFn fn, void *ctx, bool parallel);
int pool_threads();
// 0 = NORMSCOPE_NUM_THREADS or the hardware concurrency. Returns the new size.
int pool_set_threads(int threads);

}  // namespace ns

#endif

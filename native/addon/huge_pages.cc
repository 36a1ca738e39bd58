// adviseHugePages(arrayBuffer) → boolean: madvise(MADV_HUGEPAGE) on the 2 MiB-aligned part of the
// buffer's backing store. engine/tensor/allocator.ts calls it (through the hook nativeLoader.ts installs)
// on large buffers it has just made, before their first write. Where transparent huge pages are
// `madvise` (the default of Debian and Ubuntu) the kernel otherwise maps fresh memory 4 KiB at a time,
// one page fault each: measured on the team's Linux VM, the first write to a fresh 100 MiB buffer took
// ~300 ms, and ~8 ms once advised (bench/results/hugepages-2026-12-06.md).
// Advice only: madvise never changes contents, and any failure (no THP in the kernel, THP `never`, a
// range the kernel refuses) returns false and changes nothing. Linux only; elsewhere it returns false.
#include "huge_pages.h"

#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

Napi::Value AdviseHugePages(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArrayBuffer()) throw Napi::TypeError::New(env, "buffer must be an ArrayBuffer");
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  Napi::ArrayBuffer buf = info[0].As<Napi::ArrayBuffer>();
  const uintptr_t huge = (uintptr_t)2 << 20;
  const uintptr_t begin = (uintptr_t)buf.Data(), end = begin + buf.ByteLength();
  // Only whole huge pages inside the buffer: advice never reaches memory the buffer does not own.
  const uintptr_t lo = (begin + huge - 1) & ~(huge - 1), hi = end & ~(huge - 1);
  if (buf.Data() == nullptr || hi <= lo) return Napi::Boolean::New(env, false);
  return Napi::Boolean::New(env, madvise((void *)lo, hi - lo, MADV_HUGEPAGE) == 0);
#else
  return Napi::Boolean::New(env, false);
#endif
}

// The little runtime the CPU kernels need in a WebAssembly module with no libc (built by
// tools/build-wasm.mjs with clang --target=wasm32 and wasm-ld; see native/wasm/README.md):
//   - a bump allocator over the module's linear memory. Everything a call allocates (the JS side's
//     blocks through ns_wasm_alloc, the kernels' std::vector scratch) is freed by the end of that call,
//     so when the last live block is freed the whole heap is free again: the allocator keeps a count of
//     live blocks and resets to the heap base at zero. Blocks freed in the reverse order of their
//     allocation (the kernels' scratch, while the JS side's blocks stay live across the pieces of a
//     streamed call) give their space back at once, so a call that runs a kernel many times does not
//     pile up scratch. Memory grows as needed (never shrinks: wasm cannot), up to the 4 GiB of wasm32;
//   - memcpy/memset/strcmp/strncpy, getenv (always null: the kernels take their defaults);
//   - a one-thread ns::pool_run (no threads in this build: tasks run in order on the caller).
#include <stddef.h>
#include <stdint.h>

#include "../kernels/normscope_abi.h"
#include "../kernels/thread_pool.h"

extern "C" unsigned char __heap_base;

namespace {
const uintptr_t kAlign = 64;  // cache-line aligned blocks (and 16-byte vector loads)
uintptr_t heap_top = 0;       // next free byte
size_t live_blocks = 0;
// Starts of the most recent live blocks, oldest first: freeing the newest moves heap_top back to its
// start. Deeper nesting than this only delays reclaiming to the reset.
const int kStackDepth = 64;
uintptr_t block_start[kStackDepth];
int stack_depth = 0;  // entries in block_start (≤ kStackDepth); a full stack stops tracking
bool stack_full = false;

uintptr_t align_up(uintptr_t v) { return (v + kAlign - 1) & ~(kAlign - 1); }
uintptr_t heap_base() { return align_up((uintptr_t)&__heap_base); }

// Grows linear memory so that [0, end) is addressable; false when it cannot.
bool ensure(uintptr_t end) {
  const uintptr_t have = __builtin_wasm_memory_size(0) * 65536ull;
  if (end <= have) return true;
  const uintptr_t pages = (end - have + 65535) / 65536;
  return __builtin_wasm_memory_grow(0, pages) != (size_t)-1;
}
}  // namespace

extern "C" {

void *malloc(size_t bytes) {
  if (heap_top == 0) heap_top = heap_base();
  const uintptr_t start = heap_top;
  const uint64_t end = (uint64_t)start + bytes;
  if (end > 0xFFFFFFFFull - kAlign || !ensure((uintptr_t)end)) return nullptr;
  heap_top = align_up((uintptr_t)end);
  live_blocks++;
  if (stack_depth < kStackDepth && !stack_full) block_start[stack_depth++] = start;
  else stack_full = true;
  return (void *)start;
}

void free(void *p) {
  if (!p) return;
  if (live_blocks > 0 && --live_blocks == 0) {
    heap_top = heap_base();
    stack_depth = 0;
    stack_full = false;
    return;
  }
  if (!stack_full && stack_depth > 0 && block_start[stack_depth - 1] == (uintptr_t)p) heap_top = block_start[--stack_depth];
}

char *getenv(const char *) { return nullptr; }

long long atoll(const char *s) {
  long long v = 0;
  bool neg = *s == '-';
  if (neg || *s == '+') s++;
  while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
  return neg ? -v : v;
}

// With -mbulk-memory the compiler lowers these builtins to memory.copy / memory.fill instructions.
void *memcpy(void *dst, const void *src, size_t n) { return __builtin_memcpy(dst, src, n); }
void *memmove(void *dst, const void *src, size_t n) { return __builtin_memmove(dst, src, n); }
void *memset(void *dst, int v, size_t n) { return __builtin_memset(dst, v, n); }

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

char *strncpy(char *dst, const char *src, size_t n) {
  size_t i = 0;
  for (; i < n && src[i]; i++) dst[i] = src[i];
  for (; i < n; i++) dst[i] = 0;
  return dst;
}

// The JS side's blocks (native/wasm's loader in engine/backend/wasmLoader.ts).
NS_API void *ns_wasm_alloc(size_t bytes) { return malloc(bytes); }
NS_API void ns_wasm_free(void *p) { free(p); }
// Frees every block at once: the JS side calls it after each kernel call, also after a trap (out of
// memory) left blocks counted as live.
NS_API void ns_wasm_reset(void) {
  live_blocks = 0;
  heap_top = heap_base();
  stack_depth = 0;
  stack_full = false;
}
}  // extern "C"

void *operator new(size_t bytes) {
  void *p = malloc(bytes);
  if (!p) __builtin_trap();  // surfaces in JS as a WebAssembly.RuntimeError ("unreachable")
  return p;
}
void *operator new[](size_t bytes) { return operator new(bytes); }
void operator delete(void *p) noexcept { free(p); }
void operator delete[](void *p) noexcept { free(p); }
void operator delete(void *p, size_t) noexcept { free(p); }
void operator delete[](void *p, size_t) noexcept { free(p); }

namespace ns {
void pool_run(int64_t ntasks, TaskFn fn, void *ctx, bool) {
  for (int64_t t = 0; t < ntasks; t++) fn(ctx, t);
}
int pool_threads() { return 1; }
int pool_set_threads(int) { return 1; }
}  // namespace ns

// Fiber switching for the CUDA emulator (see fiber.h).
#include "fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#if defined(__x86_64__) && !defined(NS_EMU_UCONTEXT)

// ns_emu_switch(save, load): pushes the callee-saved registers, stores the stack pointer in *save, loads
// `load` as the stack pointer and pops the state saved there. A new stack is prepared so that the pops
// end in a `ret` to ns_emu_trampoline, which calls the entry kept in r12. MXCSR and the x87 control
// word are not switched: saving them costs more than the rest of the switch (fnstcw/ldmxcsr serialise),
// and nothing that runs on a fiber changes rounding or exception modes.
extern "C" void ns_emu_switch(void **save, void *load);
extern "C" void ns_emu_trampoline();
asm(R"(
  .text
  .p2align 4
  .globl ns_emu_switch
  .hidden ns_emu_switch
  .type ns_emu_switch,@function
ns_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size ns_emu_switch, .-ns_emu_switch

  .p2align 4
  .globl ns_emu_trampoline
  .hidden ns_emu_trampoline
  .type ns_emu_trampoline,@function
ns_emu_trampoline:
  callq *%r12
  ud2
  .size ns_emu_trampoline, .-ns_emu_trampoline
)");

namespace emu {

struct FiberContext {
  void *sp = nullptr;      // the fiber's saved stack pointer
  void *caller = nullptr;  // the resumer's saved stack pointer
};

void Fiber::reset(void (*entry)()) {
  // Frame popped by ns_emu_switch, lowest address first: r15, r14, r13, r12 (= entry), rbx, rbp, return
  // address (= trampoline). The trampoline starts with rsp 16-byte aligned, so the entry's frame is
  // aligned as the ABI requires.
  uintptr_t top = (uintptr_t)(mem_ + page_ + kStackBytes - skew_) & ~(uintptr_t)15;
  uint64_t *f = (uint64_t *)(top - 16 - 56);
  f[0] = f[1] = f[2] = 0;             // r15 r14 r13
  f[3] = (uint64_t)(uintptr_t)entry;  // r12
  f[4] = f[5] = 0;                    // rbx rbp
  f[6] = (uint64_t)(uintptr_t)&ns_emu_trampoline;
  ctx_->sp = f;
}

void Fiber::resume() { ns_emu_switch(&ctx_->caller, ctx_->sp); }

void Fiber::yield() { ns_emu_switch(&ctx_->sp, ctx_->caller); }

}  // namespace emu

#else  // portable fallback

#include <ucontext.h>

namespace emu {

struct FiberContext {
  ucontext_t self{}, caller{};
};

void Fiber::reset(void (*entry)()) {
  getcontext(&ctx_->self);
  ctx_->self.uc_stack.ss_sp = mem_ + page_;
  ctx_->self.uc_stack.ss_size = kStackBytes - skew_;
  ctx_->self.uc_link = nullptr;
  makecontext(&ctx_->self, entry, 0);
}

void Fiber::resume() { swapcontext(&ctx_->caller, &ctx_->self); }

void Fiber::yield() { swapcontext(&ctx_->self, &ctx_->caller); }

}  // namespace emu

#endif

namespace emu {

Fiber::Fiber() : ctx_(new FiberContext) {
  // Stacks are the same size, so their tops would share cache sets and every switch would evict the
  // last: a different offset within 4 KiB per fiber spreads them.
  static unsigned serial = 0;
  skew_ = (size_t)(serial++ * 17 % 64) * 64;
  // a PROT_NONE page below the stack turns an overflow into a fault instead of silent corruption
  page_ = (size_t)sysconf(_SC_PAGESIZE);
  const size_t page = page_;
  void *m = mmap(nullptr, page + kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    std::fprintf(stderr, "cuda-emu: cannot map a fiber stack\n");
    std::abort();
  }
  mprotect(m, page, PROT_NONE);
  mem_ = (char *)m;
}

Fiber::~Fiber() {
  munmap(mem_, page_ + kStackBytes);
  delete ctx_;
}

}  // namespace emu

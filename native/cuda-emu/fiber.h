// Fibers for the CUDA emulator: each emulated GPU thread runs on its own small stack and gives control
// back to the block scheduler only at barriers and shuffles. On x86-64 a switch is a handful of
// instructions (the callee-saved registers); elsewhere ucontext, which also
// saves the signal mask with a system call per switch (correct, slower).
#pragma once

#include <cstddef>

namespace emu {

struct FiberContext;

// One stack plus the saved context of the code that last ran on it.
class Fiber {
 public:
  Fiber();
  ~Fiber();
  Fiber(const Fiber &) = delete;
  Fiber &operator=(const Fiber &) = delete;

  // Prepares the fiber to call entry() from the top of its stack on the next resume().
  void reset(void (*entry)());
  // Runs the fiber until it calls yield() (or its entry switches back); returns here.
  void resume();
  // From inside the fiber: back to whoever resumed it.
  void yield();

 private:
  static constexpr size_t kStackBytes = 256 * 1024;
  char *mem_ = nullptr;  // guard page + stack
  size_t page_ = 4096;
  size_t skew_ = 0;      // the stack top's offset below the end, different per fiber (see fiber.cc)
  FiberContext *ctx_;
};

}  // namespace emu

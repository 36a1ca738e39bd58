// The CUDA emulator's grid scheduler: blocks one at a time in a seeded pseudo-random order, the threads of a
// block as fibers that meet at __syncthreads and warp shuffles (see include/cuda_runtime.h).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "cuda_runtime.h"
#include "fiber.h"
#include "runtime_state.h"

uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

namespace emu {
namespace {

enum State { kRun, kBarrier, kWarp, kDone };

struct Thread {
  State st = kRun;
  unsigned shuffles = 0;  // shuffles done: picks the exchange buffer (two, alternating)
};

// The block being run. Only one exists at a time (launches are serialised by g_launch_mu).
struct Block {
  unsigned n = 0;  // threads
  std::vector<Thread> t;
  std::vector<unsigned> ready;    // threads to resume, in order
  int cur = -1;
  unsigned live = 0, at_barrier = 0;
  std::vector<unsigned> at_warp;    // per warp: lanes waiting at the current shuffle
  std::vector<unsigned> warp_mask;  // per warp: that shuffle's mask
  std::vector<uint64_t> xch[2];     // shuffle slots, one per thread per buffer
  const std::function<void()> *body = nullptr;
  std::string error;
};

std::mutex g_launch_mu;
std::vector<std::unique_ptr<Fiber>> g_fibers;
Block g_blk;
std::mt19937_64 g_order_rng(env_u64("NS_CUDA_EMU_SEED", 1));

void set_coords(unsigned i) {
  threadIdx.x = i % blockDim.x;
  threadIdx.y = (i / blockDim.x) % blockDim.y;
  threadIdx.z = i / (blockDim.x * blockDim.y);
}

// Lanes of warp w named by `mask` that exist in this block.
unsigned required_lanes(unsigned w, unsigned mask) {
  const unsigned first = w * 32, count = g_blk.n - first < 32 ? g_blk.n - first : 32;
  const unsigned exist = count == 32 ? 0xffffffffu : ((1u << count) - 1);
  return mask & exist;
}

// The block barrier opens when every thread still running waits at it (exited threads count as
// arrived, as on the hardware).
void maybe_open_barrier() {
  Block &b = g_blk;
  if (b.at_barrier == 0 || b.at_barrier != b.live) return;
  for (unsigned i = 0; i < b.n; i++)
    if (b.t[i].st == kBarrier) b.t[i].st = kRun, b.ready.push_back(i);
  b.at_barrier = 0;
}

void fiber_entry() {
  Block &b = g_blk;
  (*b.body)();
  const unsigned me = (unsigned)b.cur;
  b.t[me].st = kDone;
  b.live--;
  const unsigned w = me / 32;
  if (b.at_warp[w] > 0 && (required_lanes(w, b.warp_mask[w]) >> (me % 32) & 1) && b.error.empty())
    b.error = "__shfl_down_sync: lane " + std::to_string(me % 32) + " of warp " + std::to_string(w) +
              " exited while the warp's other lanes wait for it";
  maybe_open_barrier();
  g_fibers[me]->yield();
  std::abort();  // a finished fiber is never resumed
}

std::string stuck_report() {
  unsigned bar = 0, warp = 0, done = 0;
  for (auto &th : g_blk.t) bar += th.st == kBarrier, warp += th.st == kWarp, done += th.st == kDone;
  return "deadlock in block (" + std::to_string(blockIdx.x) + "," + std::to_string(blockIdx.y) + "," +
         std::to_string(blockIdx.z) + "): " + std::to_string(bar) + " threads wait at __syncthreads, " +
         std::to_string(warp) + " at a warp shuffle, " + std::to_string(done) +
         " have exited (a barrier or shuffle in divergent code)";
}

// Runs the current block's threads to completion; false with g_blk.error set on a deadlock.
bool run_block() {
  Block &b = g_blk;
  b.ready.clear();
  for (unsigned i = 0; i < b.n; i++) {
    b.t[i] = Thread{};
    g_fibers[i]->reset(&fiber_entry);
    b.ready.push_back(b.n - 1 - i);  // popped from the back: thread 0 first
  }
  b.live = b.n;
  b.at_barrier = 0;
  std::fill(b.at_warp.begin(), b.at_warp.end(), 0u);
  while (!b.ready.empty()) {
    const unsigned i = b.ready.back();
    b.ready.pop_back();
    b.cur = (int)i;
    set_coords(i);
    g_fibers[i]->resume();
    if (!b.error.empty()) return false;
  }
  if (b.live == 0) return true;
  b.error = stuck_report();
  return false;
}

bool bad_config(dim3 g, dim3 k) {
  const uint64_t threads = (uint64_t)k.x * k.y * k.z;
  return g.x == 0 || g.y == 0 || g.z == 0 || g.x > 2147483647u || g.y > max_grid_y() || g.z > 65535 || threads == 0 ||
         threads > 1024 || k.x > 1024 || k.y > 1024 || k.z > 64;
}

}  // namespace

void syncthreads() {
  Block &b = g_blk;
  b.t[b.cur].st = kBarrier;
  b.at_barrier++;
  maybe_open_barrier();
  g_fibers[b.cur]->yield();
}

uint64_t shfl_down(unsigned mask, uint64_t v, unsigned delta) {
  Block &b = g_blk;
  const unsigned i = (unsigned)b.cur, w = i / 32, lane = i % 32;
  Thread &me = b.t[i];
  const unsigned buf = me.shuffles++ & 1;
  const unsigned need = required_lanes(w, mask);
  b.xch[buf][i] = v;
  if (b.at_warp[w] == 0) {
    b.warp_mask[w] = mask;
    for (unsigned l = 0; l < 32; l++)
      if ((need >> l & 1) && b.t[w * 32 + l].st == kDone && b.error.empty())
        b.error = "__shfl_down_sync: the mask names lane " + std::to_string(l) + " of warp " + std::to_string(w) +
                  ", which has exited";
  } else if (b.warp_mask[w] != mask && b.error.empty()) {
    b.error = "__shfl_down_sync: lanes of warp " + std::to_string(w) + " shuffle with different masks";
  }
  me.st = kWarp;
  if (++b.at_warp[w] == (unsigned)__builtin_popcount(need)) {  // the last lane named arrived: all go on
    for (unsigned l = 0; l < 32; l++)
      if ((need >> l & 1) && b.t[w * 32 + l].st == kWarp) b.t[w * 32 + l].st = kRun, b.ready.push_back(w * 32 + l);
    b.at_warp[w] = 0;
  }
  g_fibers[i]->yield();
  const unsigned src = lane + delta;
  if (src >= 32 || !(need >> src & 1)) return v;
  return b.xch[buf][w * 32 + src];
}

void run_grid(dim3 grid, dim3 block, const std::function<void()> &body) {
  std::lock_guard<std::mutex> lk(g_launch_mu);
  if (bad_config(grid, block)) {
    std::fprintf(stderr, "cuda-emu: invalid launch configuration grid (%u,%u,%u) block (%u,%u,%u)\n", grid.x,
                 grid.y, grid.z, block.x, block.y, block.z);
    set_launch_error(cudaErrorInvalidConfiguration);
    return;
  }
  if (sticky_error() != cudaSuccess) return;  // a failed kernel leaves the context unusable, as on a GPU
  gridDim = grid;
  blockDim = block;
  Block &b = g_blk;
  b.n = block.x * block.y * block.z;
  b.t.assign(b.n, Thread{});
  b.at_warp.assign((b.n + 31) / 32, 0u);
  b.warp_mask.assign((b.n + 31) / 32, 0u);
  b.xch[0].assign(b.n, 0);
  b.xch[1].assign(b.n, 0);
  b.body = &body;
  b.error.clear();
  while (g_fibers.size() < b.n) g_fibers.push_back(std::make_unique<Fiber>());
  // Block order: i → (a·i + c) mod blocks with a coprime to blocks, a different permutation per
  // launch without materialising one (grids reach 2^31 · 65535 · 65535 blocks).
  const uint64_t blocks = (uint64_t)grid.x * grid.y * grid.z;
  uint64_t a = 1, c = 0;
  if (blocks > 1) {
    c = g_order_rng() % blocks;
    do a = g_order_rng() % blocks; while (a == 0 || std::gcd(a, blocks) != 1);
  }
  for (uint64_t i = 0; i < blocks; i++) {
    const uint64_t id = (uint64_t)(((unsigned __int128)a * i + c) % blocks);
    blockIdx.x = (unsigned)(id % grid.x);
    blockIdx.y = (unsigned)(id / grid.x % grid.y);
    blockIdx.z = (unsigned)(id / ((uint64_t)grid.x * grid.y));
    if (!run_block()) {
      std::fprintf(stderr, "cuda-emu: kernel failed: %s\n", b.error.c_str());
      set_sticky_error(cudaErrorLaunchFailure);
      return;
    }
  }
}

}  // namespace emu

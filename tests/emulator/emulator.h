// Host emulation of the CUDA subset l2gpu's kernels use, so that the kernel sources run
// unchanged on the CPU (tests/cuda_emulator.py compiles a module with this header in
// front and tests/emulator/launch.h behind it, as a shared library).
//
// Every CUDA thread of a block is a coroutine (ucontext) with its own stack; the block's
// threads run one after another up to __syncthreads(), and resume together once all of
// them are there (or have returned): exactly the barrier's semantics. Blocks run one
// after another, so __shared__ (a static local here) is the block's shared memory.
// threadIdx and blockIdx are globals the scheduler sets before it resumes a thread.
#pragma once

#include <ucontext.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __constant__

struct uint3 {
  unsigned x, y, z;
};
typedef uint3 dim3;

inline uint3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;

namespace emu {

constexpr size_t kStack = 256 * 1024;

struct Fiber {
  ucontext_t context;
  std::vector<char> stack;
  int state;  // 0: runnable, 1: at the barrier, 2: returned
};

inline std::vector<Fiber> fibers;
inline ucontext_t scheduler;
inline size_t current;
inline std::function<void()> body;

inline void entry() {
  body();
  fibers[current].state = 2;
}

inline void run_block(size_t threads) {
  if (fibers.size() < threads) fibers.resize(threads);
  for (size_t t = 0; t < threads; ++t) {
    Fiber& f = fibers[t];
    if (f.stack.empty()) f.stack.resize(kStack);
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack.data();
    f.context.uc_stack.ss_size = f.stack.size();
    f.context.uc_link = &scheduler;
    makecontext(&f.context, entry, 0);
    f.state = 0;
  }
  for (;;) {
    for (size_t t = 0; t < threads; ++t) {
      if (fibers[t].state != 0) continue;
      current = t;
      threadIdx.x = (unsigned)(t % blockDim.x);
      threadIdx.y = (unsigned)(t / blockDim.x % blockDim.y);
      threadIdx.z = (unsigned)(t / blockDim.x / blockDim.y);
      swapcontext(&scheduler, &fibers[t].context);
    }
    bool waiting = false;
    for (size_t t = 0; t < threads; ++t) {
      if (fibers[t].state == 1) {
        fibers[t].state = 0;
        waiting = true;
      }
    }
    if (!waiting) return;
  }
}

}  // namespace emu

inline void __syncthreads() {
  emu::fibers[emu::current].state = 1;
  swapcontext(&emu::fibers[emu::current].context, &emu::scheduler);
}

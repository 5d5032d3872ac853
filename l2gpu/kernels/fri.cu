// FRI: the fold of Fp4 coefficients by a round's challenge, and the evaluation of base
// polynomials at an Fp4 point (the prover's tap values), as block-wise partial sums.
// Fp4 arrays are component-major: component j of element i at j·count + i.
#include "field.cuh"

#define FRI_THREADS 256

// (4, 16·count) canonical coefficients → (4, count): c'_m = Σ_k mix^k · c_{16m+k}.
// pows: mix^k for k < 16 in Montgomery form, component j of mix^k at 4k + j.
extern "C" __global__ void __launch_bounds__(FRI_THREADS)
    fri_fold(const u32* __restrict__ coeffs, u32* __restrict__ out, const u32* __restrict__ pows,
             u64 count) {
  u64 m = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (m >= count) return;
  u64 d = count * 16;
  fp4 acc = fp4_zero();
#pragma unroll 4
  for (int k = 0; k < 16; ++k) {
    fp4 c, w;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      c.c[j] = coeffs[j * d + 16 * m + k];
      w.c[j] = pows[4 * k + j];
    }
    acc = fp4_add(acc, fp4_mul_mont(c, w));
  }
#pragma unroll
  for (int j = 0; j < 4; ++j) out[j * count + m] = acc.c[j];
}

// Partial sums of Σ_i c_i·z^i for each row of (rows, n) canonical base coefficients.
// Thread g of a row (of `stride` threads per row) takes i = g, g + stride, …: Horner in
// z^stride (step, Montgomery form), then the factor z^g (low: (4, stride), Montgomery
// form). Each block adds its threads' sums: partial[(row·gridDim.x + block)·4 + j].
extern "C" __global__ void __launch_bounds__(FRI_THREADS)
    poly_eval_partial(const u32* __restrict__ coeffs, u32* __restrict__ partial,
                      const u32* __restrict__ low, u64 n, u64 stride, u32 step0, u32 step1,
                      u32 step2, u32 step3) {
  __shared__ fp4 sums[FRI_THREADS];
  u64 row = blockIdx.y;
  u64 g = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  fp4 acc = fp4_zero();
  if (g < n) {
    fp4 step = {{step0, step1, step2, step3}};
    const u32* c = coeffs + row * n;
    u64 i = g + (n - 1 - g) / stride * stride;  // the last index of this thread
    for (;;) {
      acc = fp4_mul_mont(acc, step);
      acc.c[0] = fp_add(acc.c[0], c[i]);
      if (i < stride) break;
      i -= stride;
    }
    fp4 z_g = {{low[g], low[stride + g], low[2 * stride + g], low[3 * stride + g]}};
    acc = fp4_mul_mont(acc, z_g);
  }
  sums[threadIdx.x] = acc;
  __syncthreads();
  for (u32 half = blockDim.x / 2; half; half >>= 1) {
    if (threadIdx.x < half) sums[threadIdx.x] = fp4_add(sums[threadIdx.x], sums[threadIdx.x + half]);
    __syncthreads();
  }
  if (threadIdx.x == 0) {
#pragma unroll
    for (int j = 0; j < 4; ++j) partial[(row * gridDim.x + blockIdx.x) * 4 + j] = sums[0].c[j];
  }
}

// Support for the constraint kernels that l2gpu.backends.cuda_codegen generates from a
// program's constraint steps: one thread per point j of the evaluation domain (m points),
// every value in Montgomery form, the result written canonical as (4, m).
#pragma once
#include "field.cuh"

#define EC_THREADS 256

// A tap: column `col` (m values) read `shift` (< m) points back, cyclically.
__host__ __device__ __forceinline__ u32 ec_tap(const u32* __restrict__ col, u64 j, u64 shift,
                                               u64 m) {
  return fp_to_mont(col[j >= shift ? j - shift : j + m - shift]);
}

// The Fp4 constant in slot `slot` of the constants buffer (4 words from `first`).
__host__ __device__ __forceinline__ fp4 ec_const(const u32* __restrict__ k, u32 first, u32 slot) {
  fp4 r;
#pragma unroll
  for (int i = 0; i < 4; ++i) r.c[i] = k[first + 4 * slot + i];
  return r;
}

// Store the Fp4 result (Montgomery form) at point j, canonical.
__host__ __device__ __forceinline__ void ec_store(u32* __restrict__ out, u64 j, u64 m, fp4 v) {
#pragma unroll
  for (int i = 0; i < 4; ++i) out[i * m + j] = fp_from_mont(v.c[i]);
}

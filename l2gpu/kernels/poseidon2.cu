// Poseidon2 over BabyBear: the permutation, RISC Zero's row hash (hash_elem_slice) and
// pair hash, one thread per state.
//
// A module is compiled per parameter set: l2gpu.backends.cuda_sources.poseidon2_prelude
// puts the parameters in front of this file as #defines (width, rounds, the 4×4 block of
// the external layer) and __constant__ arrays (round constants and internal diagonal, in
// Montgomery form); without that prelude the file declares no kernel.
//
// The state lives in registers in Montgomery form (digest words are raw Montgomery
// words, so the hashes store cells as they are). The linear layers sum small multiples
// of cells in 64 bits and reduce once per cell; the internal layer folds Σs into the
// reduction of D_i·s_i (fp_mul_mont_add).
#include "field.cuh"

#ifdef P2_WIDTH

#define P2_THREADS 128

// x^7 in Montgomery form.
__device__ __forceinline__ u32 p2_sbox(u32 x) {
  u32 x2 = fp_mul_mont(x, x);
  u32 x3 = fp_mul_mont(x2, x);
  u32 x4 = fp_mul_mont(x2, x2);
  return fp_mul_mont(x3, x4);
}

// M_EXT: M4 on each block of four cells, plus the sum of the blocks' results.
// The Python side checks (width/4 + 1)·(largest row sum of M4) < 2^32, which keeps
// every 64-bit sum below P·2^32 as fp_mod64 needs.
__device__ __forceinline__ void p2_external(u32 (&s)[P2_WIDTH]) {
  const u32 m4[4][4] = P2_M4;
  u64 y[P2_WIDTH];
  u64 sum[4] = {0, 0, 0, 0};
#pragma unroll
  for (int k = 0; k < P2_WIDTH / 4; ++k) {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      u64 v = 0;
#pragma unroll
      for (int i = 0; i < 4; ++i) v += (u64)m4[j][i] * s[4 * k + i];
      y[4 * k + j] = v;
      sum[j] += v;
    }
  }
#pragma unroll
  for (int i = 0; i < P2_WIDTH; ++i) s[i] = fp_mod64(y[i] + sum[i % 4]);
}

// M_INT: out_i = Σ s + D_i·s_i.
__device__ __forceinline__ void p2_internal(u32 (&s)[P2_WIDTH]) {
  u64 total = 0;
#pragma unroll
  for (int i = 0; i < P2_WIDTH; ++i) total += s[i];
  u32 t = fp_mod64(total);
#pragma unroll
  for (int i = 0; i < P2_WIDTH; ++i) s[i] = fp_mul_mont_add(s[i], P2_DIAG[i], t);
}

// The permutation of one state (Montgomery form, in place): M_EXT, then the full rounds
// with the partial rounds after the first half of them. The round loops stay rolled
// (a round's cells are unrolled): the code is an eighth of the size, compiles in
// seconds, and reads a round's constants from the constant bank by a uniform index.
__device__ __forceinline__ void p2_full_round(u32 (&s)[P2_WIDTH], int r) {
#pragma unroll
  for (int i = 0; i < P2_WIDTH; ++i) s[i] = p2_sbox(fp_add(s[i], P2_FULL_RC[r * P2_WIDTH + i]));
  p2_external(s);
}

__device__ __forceinline__ void p2_permute(u32 (&s)[P2_WIDTH]) {
  p2_external(s);
#pragma unroll 1
  for (int r = 0; r < P2_ROUNDS_F / 2; ++r) p2_full_round(s, r);
  if (P2_ROUNDS_F > 0) {  // as the reference: no full rounds, no partial rounds either
#pragma unroll 1
    for (int q = 0; q < P2_ROUNDS_P; ++q) {
      s[0] = p2_sbox(fp_add(s[0], P2_PART_RC[q]));
      p2_internal(s);
    }
  }
#pragma unroll 1
  for (int r = P2_ROUNDS_F / 2; r < P2_ROUNDS_F; ++r) p2_full_round(s, r);
}

// states: (width, batch) canonical → permuted, canonical.
extern "C" __global__ void __launch_bounds__(P2_THREADS)
    poseidon2_permute(const u32* __restrict__ in, u32* __restrict__ out, u64 batch) {
  u64 b = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= batch) return;
  u32 s[P2_WIDTH];
#pragma unroll
  for (int i = 0; i < P2_WIDTH; ++i) s[i] = fp_to_mont(in[i * batch + b]);
  p2_permute(s);
#pragma unroll
  for (int i = 0; i < P2_WIDTH; ++i) out[i * batch + b] = fp_from_mont(s[i]);
}

#if P2_WIDTH >= 16  // the hashes need the 16 rate cells

// RISC Zero's row hash of each row of a column-major (cols, rows) canonical matrix →
// (8, rows) raw digest words. Every 16 elements overwrite the rate cells 0..15 (the
// last block zero-filled) and are followed by a permutation; an empty row permutes once.
extern "C" __global__ void __launch_bounds__(P2_THREADS)
    poseidon2_hash_rows(const u32* __restrict__ matrix, u32* __restrict__ out, u64 rows, u32 cols) {
  u64 r = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  u32 s[P2_WIDTH];
#pragma unroll
  for (int i = 0; i < P2_WIDTH; ++i) s[i] = 0;
  u32 start = 0;
  do {
#pragma unroll
    for (int i = 0; i < 16; ++i) {
      u32 c = start + i;
      s[i] = c < cols ? fp_to_mont(matrix[c * rows + r]) : 0u;
    }
    p2_permute(s);
    start += 16;
  } while (start < cols);
#pragma unroll
  for (int i = 0; i < 8; ++i) out[i * rows + r] = s[i];
}

// hash_pair of (8, count) digest words given by element strides (a Merkle layer fold
// passes the even and odd columns of one layer): cells 0..7 ← left, 8..15 ← right,
// taken as raw field elements; the output is cells 0..7.
extern "C" __global__ void __launch_bounds__(P2_THREADS)
    poseidon2_hash_pairs(const u32* __restrict__ left, const u32* __restrict__ right,
                         u32* __restrict__ out, u64 count, u64 left_row, u64 left_col,
                         u64 right_row, u64 right_col) {
  u64 k = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= count) return;
  u32 s[P2_WIDTH];
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    s[i] = fp_reduce32(left[i * left_row + k * left_col]);
    s[i + 8] = fp_reduce32(right[i * right_row + k * right_col]);
  }
#pragma unroll
  for (int i = 16; i < P2_WIDTH; ++i) s[i] = 0;
  p2_permute(s);
#pragma unroll
  for (int i = 0; i < 8; ++i) out[i * count + k] = s[i];
}

#endif  // P2_WIDTH >= 16
#endif  // P2_WIDTH

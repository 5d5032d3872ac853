// RISC Zero's SHA-256 suite: the bare compression function (no padding, no length), the
// row hash over column-major matrices and the pair hash, one thread per message.
//
// Block and state words are big-endian SHA-256 words; digest words are the digest bytes
// read as little-endian u32 (byte-swapped state words); an element contributes the
// little-endian bytes of its raw Montgomery word.
#include "field.cuh"

#define SHA256_THREADS 128

__constant__ u32 SHA256_K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
    0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
    0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
    0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
    0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
    0xc67178f2u};

__constant__ u32 SHA256_IV[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                 0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};

__host__ __device__ __forceinline__ u32 sha_rotr(u32 x, u32 r) { return (x >> r) | (x << (32 - r)); }

__host__ __device__ __forceinline__ u32 sha_bswap(u32 x) {
  return (x >> 24) | ((x >> 8) & 0xff00u) | ((x << 8) & 0xff0000u) | (x << 24);
}

// One compression of the 16 block words w into the state (the schedule is computed in
// place, 16 words at a time).
__device__ __forceinline__ void sha256_compress_words(u32 (&state)[8], u32 (&w)[16]) {
  u32 a = state[0], b = state[1], c = state[2], d = state[3];
  u32 e = state[4], f = state[5], g = state[6], h = state[7];
#pragma unroll
  for (int t = 0; t < 64; ++t) {
    if (t >= 16) {
      u32 x = w[(t - 15) & 15], y = w[(t - 2) & 15];
      u32 s0 = sha_rotr(x, 7) ^ sha_rotr(x, 18) ^ (x >> 3);
      u32 s1 = sha_rotr(y, 17) ^ sha_rotr(y, 19) ^ (y >> 10);
      w[t & 15] += s0 + w[(t - 7) & 15] + s1;
    }
    u32 t1 = h + (sha_rotr(e, 6) ^ sha_rotr(e, 11) ^ sha_rotr(e, 25)) + ((e & f) ^ (~e & g)) +
             SHA256_K[t] + w[t & 15];
    u32 t2 = (sha_rotr(a, 2) ^ sha_rotr(a, 13) ^ sha_rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
}

// (8, count) states, (16, count) blocks → (8, count) compressed states.
extern "C" __global__ void __launch_bounds__(SHA256_THREADS)
    sha256_compress(const u32* __restrict__ state, const u32* __restrict__ block,
                    u32* __restrict__ out, u64 count) {
  u64 k = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= count) return;
  u32 s[8], w[16];
#pragma unroll
  for (int i = 0; i < 8; ++i) s[i] = state[i * count + k];
#pragma unroll
  for (int i = 0; i < 16; ++i) w[i] = block[i * count + k];
  sha256_compress_words(s, w);
#pragma unroll
  for (int i = 0; i < 8; ++i) out[i * count + k] = s[i];
}

// The row hash of each row of a column-major (cols, rows) canonical matrix → (8, rows).
extern "C" __global__ void __launch_bounds__(SHA256_THREADS)
    sha256_hash_rows(const u32* __restrict__ matrix, u32* __restrict__ out, u64 rows, u32 cols) {
  u64 r = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  u32 s[8], w[16];
#pragma unroll
  for (int i = 0; i < 8; ++i) s[i] = SHA256_IV[i];
  for (u32 start = 0; start < cols; start += 16) {
#pragma unroll
    for (int i = 0; i < 16; ++i) {
      u32 c = start + i;
      w[i] = c < cols ? sha_bswap(fp_to_mont(matrix[c * rows + r])) : 0u;
    }
    sha256_compress_words(s, w);
  }
#pragma unroll
  for (int i = 0; i < 8; ++i) out[i * rows + r] = sha_bswap(s[i]);
}

// hash_pair of (8, count) digest words given by element strides: one compression of
// left ‖ right from the IV.
extern "C" __global__ void __launch_bounds__(SHA256_THREADS)
    sha256_hash_pairs(const u32* __restrict__ left, const u32* __restrict__ right,
                      u32* __restrict__ out, u64 count, u64 left_row, u64 left_col,
                      u64 right_row, u64 right_col) {
  u64 k = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= count) return;
  u32 s[8], w[16];
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    s[i] = SHA256_IV[i];
    w[i] = sha_bswap(left[i * left_row + k * left_col]);
    w[i + 8] = sha_bswap(right[i * right_row + k * right_col]);
  }
  sha256_compress_words(s, w);
#pragma unroll
  for (int i = 0; i < 8; ++i) out[i * count + k] = sha_bswap(s[i]);
}

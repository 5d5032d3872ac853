// BabyBear (P = 15·2^27 + 1) and its extension Fp4 = Fp[x]/(x^4 + 11): the arithmetic
// every kernel shares.
//
// Values are 32-bit words. "Canonical" means in [0, P); "Montgomery form" means the
// raw word x·R mod P with R = 2^32, which is what RISC Zero's seals and digests hold.
// fp_mul_mont(a, b) = a·b·R^-1 mod P, so a product of a canonical value by a constant
// stored in Montgomery form is canonical: kernels keep data canonical and their
// constants (twiddles, scales) in Montgomery form, or convert data once on entry.
//
// Every function is __host__ __device__: the host-side emulator (tests/cuda_emulator)
// compiles and runs the same code on the CPU. No standard headers, so NVRTC compiles
// the sources as they are.
#pragma once

typedef unsigned int u32;
typedef unsigned long long u64;

#define FP_P 2013265921u       // the modulus
#define FP_PINV 0x88000001u    // P^-1 mod 2^32
#define FP_R 268435454u        // R mod P: 1 in Montgomery form
#define FP_R2 1172168163u      // R^2 mod P: fp_mul_mont(x, FP_R2) = x·R
#define FP_NBETA_R 1073741848u // −11 in Montgomery form (x^4 = −11 in Fp4)

// High word of the 64-bit product.
__host__ __device__ __forceinline__ u32 fp_mulhi(u32 a, u32 b) {
#ifdef __CUDA_ARCH__
  return __umulhi(a, b);
#else
  return (u32)(((u64)a * b) >> 32);
#endif
}

// Montgomery reduction of hi·2^32 + lo for hi < P: (hi·2^32 + lo)·R^-1 mod P, canonical.
// m·P agrees with lo in the low word, so the difference of the high words is exact.
__host__ __device__ __forceinline__ u32 fp_redc(u32 lo, u32 hi) {
  u32 m = lo * FP_PINV;
  u32 k = fp_mulhi(m, FP_P);
  u32 r = hi - k;
  return hi < k ? r + FP_P : r;
}

// a·b·R^-1 mod P for a < P and any 32-bit b (so that a·b < P·2^32).
__host__ __device__ __forceinline__ u32 fp_mul_mont(u32 a, u32 b) {
  return fp_redc(a * b, fp_mulhi(a, b));
}

// a·b·R^-1 + c mod P for a, b, c < P: one reduction of a·b + c·2^32 (whose high word
// is below 1.5·P, so the result needs a correction either way).
__host__ __device__ __forceinline__ u32 fp_mul_mont_add(u32 a, u32 b, u32 c) {
  u32 hi = fp_mulhi(a, b) + c;
  u32 k = fp_mulhi(a * b * FP_PINV, FP_P);
  u32 r = hi - k;
  if (hi < k) return r + FP_P;
  return r >= FP_P ? r - FP_P : r;
}

// v mod P for v < P·2^32 (sums of a few products of small integers by elements).
__host__ __device__ __forceinline__ u32 fp_mod64(u64 v) {
  return fp_mul_mont(fp_redc((u32)v, (u32)(v >> 32)), FP_R2);
}

__host__ __device__ __forceinline__ u32 fp_add(u32 a, u32 b) {
  u32 s = a + b;
  return s >= FP_P ? s - FP_P : s;
}

__host__ __device__ __forceinline__ u32 fp_sub(u32 a, u32 b) {
  u32 d = a - b;
  return a < b ? d + FP_P : d;
}

// Any 32-bit word (a raw word may exceed P) → canonical.
__host__ __device__ __forceinline__ u32 fp_reduce32(u32 w) {
  w = w >= FP_P ? w - FP_P : w;
  return w >= FP_P ? w - FP_P : w;
}

// Canonical → Montgomery form (x·R mod P) and back.
__host__ __device__ __forceinline__ u32 fp_to_mont(u32 x) { return fp_mul_mont(x, FP_R2); }
__host__ __device__ __forceinline__ u32 fp_from_mont(u32 x) { return fp_redc(x, 0); }

// Canonical product of canonical values.
__host__ __device__ __forceinline__ u32 fp_mul(u32 a, u32 b) {
  return fp_mul_mont(fp_mul_mont(a, b), FP_R2);
}

// x^e in Montgomery form (x in Montgomery form).
__host__ __device__ __forceinline__ u32 fp_pow_mont(u32 x, u32 e) {
  u32 acc = FP_R;
  while (e) {
    if (e & 1) acc = fp_mul_mont(acc, x);
    x = fp_mul_mont(x, x);
    e >>= 1;
  }
  return acc;
}

// x^-1 in Montgomery form (x in Montgomery form, non-zero), by Fermat.
__host__ __device__ __forceinline__ u32 fp_inv_mont(u32 x) { return fp_pow_mont(x, FP_P - 2); }

// The low log_n bits of i, reversed.
__host__ __device__ __forceinline__ u32 bit_reverse_index(u32 i, u32 log_n) {
  if (log_n == 0) return 0;
#ifdef __CUDA_ARCH__
  return __brev(i) >> (32 - log_n);
#else
  u32 r = 0;
  for (u32 b = 0; b < log_n; ++b) r |= ((i >> b) & 1u) << (log_n - 1 - b);
  return r;
#endif
}

// -- Fp4 ----------------------------------------------------------------------------------

struct fp4 {
  u32 c[4];  // c0 + c1·x + c2·x^2 + c3·x^3
};

__host__ __device__ __forceinline__ fp4 fp4_add(fp4 a, fp4 b) {
  fp4 r;
#pragma unroll
  for (int i = 0; i < 4; ++i) r.c[i] = fp_add(a.c[i], b.c[i]);
  return r;
}

__host__ __device__ __forceinline__ fp4 fp4_sub(fp4 a, fp4 b) {
  fp4 r;
#pragma unroll
  for (int i = 0; i < 4; ++i) r.c[i] = fp_sub(a.c[i], b.c[i]);
  return r;
}

// Componentwise fp_mul_mont by one base-field word.
__host__ __device__ __forceinline__ fp4 fp4_scale_mont(fp4 a, u32 s) {
  fp4 r;
#pragma unroll
  for (int i = 0; i < 4; ++i) r.c[i] = fp_mul_mont(a.c[i], s);
  return r;
}

// a·b·R^-1 in Fp4 (the form of the result is that of a plus that of b, less one R).
__host__ __device__ __forceinline__ fp4 fp4_mul_mont(fp4 a, fp4 b) {
  fp4 r;
#pragma unroll
  for (int k = 0; k < 4; ++k) {
    u32 low = 0, high = 0;
#pragma unroll
    for (int i = 0; i <= k; ++i) low = fp_add(low, fp_mul_mont(a.c[i], b.c[k - i]));
#pragma unroll
    for (int i = k + 1; i < 4; ++i) high = fp_add(high, fp_mul_mont(a.c[i], b.c[k + 4 - i]));
    r.c[k] = k < 3 ? fp_add(low, fp_mul_mont(high, FP_NBETA_R)) : low;
  }
  return r;
}

__host__ __device__ __forceinline__ fp4 fp4_zero() {
  fp4 r = {{0u, 0u, 0u, 0u}};
  return r;
}

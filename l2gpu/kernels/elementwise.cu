// Element-wise BabyBear and Fp4 arithmetic with broadcasting, batch inversion and the
// cyclic shift. Canonical values in and out.
//
// Broadcasting is done by strides: the host collapses the output shape to at most four
// dimensions (n0, n1, n2, n3) and gives each operand its element strides along them (0
// where it is broadcast); an operand can also be a scalar argument.
#include "field.cuh"

#define EW_THREADS 256

#define EW_ADD 0u
#define EW_SUB 1u
#define EW_MUL 2u       // canonical · canonical
#define EW_MUL_MONT 3u  // canonical · (Montgomery-form scalar b)

// The offset of output element i in an operand with strides s0..s3 over (·, n1, n2, n3).
__host__ __device__ __forceinline__ u64 ew_offset(u64 i, u64 n1, u64 n2, u64 n3, u64 s0, u64 s1,
                                                  u64 s2, u64 s3) {
  if (n1 == 1 && n2 == 1 && i < n3) return i * s3;  // one dimension: no division
  u64 i3 = i % n3;
  i /= n3;
  u64 i2 = i % n2;
  i /= n2;
  u64 i1 = i % n1;
  return (i / n1) * s0 + i1 * s1 + i2 * s2 + i3 * s3;
}

// out[i] = a op b over `total` output elements; bit 0 / bit 1 of `scalars` says that a /
// b is the scalar a_val / b_val (its pointer is then unused).
extern "C" __global__ void __launch_bounds__(EW_THREADS)
    ew_binary(u32 op, u32* __restrict__ out, const u32* __restrict__ a, const u32* __restrict__ b,
              u32 scalars, u32 a_val, u32 b_val, u64 total, u64 n1, u64 n2, u64 n3, u64 as0,
              u64 as1, u64 as2, u64 as3, u64 bs0, u64 bs1, u64 bs2, u64 bs3) {
  u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= total) return;
  u32 x = (scalars & 1u) ? a_val : a[ew_offset(i, n1, n2, n3, as0, as1, as2, as3)];
  u32 y = (scalars & 2u) ? b_val : b[ew_offset(i, n1, n2, n3, bs0, bs1, bs2, bs3)];
  u32 r;
  if (op == EW_ADD)
    r = fp_add(x, y);
  else if (op == EW_SUB)
    r = fp_sub(x, y);
  else if (op == EW_MUL)
    r = fp_mul(x, y);
  else
    r = fp_mul_mont(x, y);
  out[i] = r;
}

// Fp4 products out = a·b of (4, …) operands: `total` output elements per component, the
// component strides ac / bc of the operands (the output is contiguous (4, total)).
extern "C" __global__ void __launch_bounds__(EW_THREADS)
    ew_ext_mul(u32* __restrict__ out, const u32* __restrict__ a, const u32* __restrict__ b,
               u64 total, u64 n1, u64 n2, u64 n3, u64 ac, u64 as0, u64 as1, u64 as2, u64 as3,
               u64 bc, u64 bs0, u64 bs1, u64 bs2, u64 bs3) {
  u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= total) return;
  u64 oa = ew_offset(i, n1, n2, n3, as0, as1, as2, as3);
  u64 ob = ew_offset(i, n1, n2, n3, bs0, bs1, bs2, bs3);
  fp4 x, y;
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    x.c[j] = a[oa + j * ac];
    y.c[j] = fp_to_mont(b[ob + j * bc]);
  }
  fp4 r = fp4_mul_mont(x, y);
#pragma unroll
  for (int j = 0; j < 4; ++j) out[j * total + i] = r.c[j];
}

// out = a·k for a contiguous (4, count) array and one Fp4 constant k (Montgomery form).
extern "C" __global__ void __launch_bounds__(EW_THREADS)
    ew_ext_mul_const(u32* __restrict__ out, const u32* __restrict__ a, u64 count, u32 k0, u32 k1,
                     u32 k2, u32 k3) {
  u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  fp4 x, k = {{k0, k1, k2, k3}};
#pragma unroll
  for (int j = 0; j < 4; ++j) x.c[j] = a[j * count + i];
  fp4 r = fp4_mul_mont(x, k);
#pragma unroll
  for (int j = 0; j < 4; ++j) out[j * count + i] = r.c[j];
}

// Batch inversion (Montgomery's trick): thread t inverts the elements t, t + threads, …
// (the host picks `threads` for runs of about 16) with one Fermat inversion, keeping the prefix products in
// out. A zero element makes the product zero: the thread sets *zero and stops.
extern "C" __global__ void __launch_bounds__(EW_THREADS)
    ew_inv(const u32* __restrict__ a, u32* __restrict__ out, u32* __restrict__ zero, u64 total,
           u64 threads) {
  u64 t = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= threads || t >= total) return;
  u32 acc = FP_R;
  u64 last = t;
  for (u64 i = t; i < total; i += threads) {
    out[i] = acc;  // a_t · … · a_(i − threads), Montgomery form
    acc = fp_mul_mont(acc, fp_to_mont(a[i]));
    last = i;
  }
  if (acc == 0) {
    *zero = 1u;
    return;
  }
  u32 inv = fp_inv_mont(acc);  // (a_t · … · a_last)^-1
  for (u64 i = last;; i -= threads) {
    out[i] = fp_from_mont(fp_mul_mont(inv, out[i]));
    inv = fp_mul_mont(inv, fp_to_mont(a[i]));
    if (i < threads) break;
  }
}

// Cyclic shift along the last axis of (rows, n): out[…, i] = a[…, (i − shift) mod n], for
// 0 ≤ shift < n.
extern "C" __global__ void __launch_bounds__(EW_THREADS)
    ew_roll(const u32* __restrict__ src, u32* __restrict__ dst, u64 n, u64 shift, u64 total) {
  u64 q = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (q >= total) return;
  u64 i = q % n;
  u64 row = q - i;
  dst[q] = src[row + (i >= shift ? i - shift : i + n - shift)];
}

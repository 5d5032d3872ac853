// Batched NTTs over column-major (cols, N) arrays, in RISC Zero's orders:
//   interpolation = decimation in frequency (DIF) with ω^-1: natural in, bit-reversed out;
//   evaluation    = decimation in time (DIT) with ω: bit-reversed in, natural out.
//
// A stage of half-size h pairs the elements h apart inside blocks of 2h, with twiddle
// ω_{2h}^e at offset e in the block: DIF (a, b) → (a + b, (a − b)·w), DIT
// (a, b) → (a + b·w, a − b·w). Twiddles come from one table per direction,
// tw[h − 1 + e] = ω_{2h}^e in Montgomery form (ntt_twiddles), so every product of a
// canonical element by a twiddle is one Montgomery multiplication and stays canonical.
//
// One kernel per direction runs several consecutive stages in shared memory on a tile
// of NTT_TILE elements. A tile is 2^K rows × W columns: element (j, c) sits at
// base + j·s + c, and the tile's stages are the half-sizes s·2^b. With s = 1 the tile is
// a contiguous run (all stages with 2h ≤ NTT_TILE: the small ones); with s > 1 it is W
// runs of consecutive positions, 2^K rows apart by s (the large stages, K per launch,
// coalesced by the W ≥ 32 consecutive positions). The host orders the launches.
// Inside a tile, stages go two at a time (radix 4) between barriers.
//
// The first evaluation launch can read its input "expanded": bit-reversed coefficients
// zero-padded to blowup·n in natural order are, in bit-reversed order, each coefficient
// followed by blowup − 1 zeros, and the first log2(blowup) DIT stages only copy them
// into every slot: so it reads coefficient q >> log_rep and starts at stage log_rep.
// The last interpolation launch can multiply by a per-position scale on its way out
// (1/n; or 3^bitrev(pos)/n, which is zk_shift too).
#include "field.cuh"

#ifndef NTT_LOG_TILE  // the prelude sets both (l2gpu.backends.cuda_sources.ntt_prelude)
#define NTT_LOG_TILE 12
#define NTT_THREADS 256
#endif
#define NTT_TILE (1u << NTT_LOG_TILE)

// tw[h − 1 + e] = ω_{2h}^e (Montgomery form) for h = 1, 2, 4, …, 2^log_h_max and e < h.
// pows[b] = ω^(2^b) for the root ω of order 2^(log_h_max + 1), in Montgomery form.
extern "C" __global__ void __launch_bounds__(NTT_THREADS)
    ntt_twiddles(u32* __restrict__ tw, const u32* __restrict__ pows, u32 log_h_max, u64 count) {
  u64 idx = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= count) return;
  u32 v = (u32)idx + 1;
  u32 log_h = 0;
  while ((v >> log_h) > 1) ++log_h;
  u32 e = (v - (1u << log_h)) << (log_h_max - log_h);  // ω_{2h}^i = ω^(i·H/h)
  u32 w = FP_R;
  for (u32 b = 0; e; ++b, e >>= 1)
    if (e & 1) w = fp_mul_mont(w, pows[b]);
  tw[idx] = w;
}

// tab[i] = scale·3^bitrev(i) (Montgomery form) for i < 2^log_n; pows[b] = 3^(2^b) and
// scale in Montgomery form.
extern "C" __global__ void __launch_bounds__(NTT_THREADS)
    ntt_shift_table(u32* __restrict__ tab, const u32* __restrict__ pows, u32 scale, u32 log_n) {
  u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >> log_n) return;
  u32 e = bit_reverse_index((u32)i, log_n);
  u32 w = scale;
  for (u32 b = 0; e; ++b, e >>= 1)
    if (e & 1) w = fp_mul_mont(w, pows[b]);
  tab[i] = w;
}

// dst[q] = src[q]·tab[q & mask] (tab in Montgomery form: canonical in, canonical out).
extern "C" __global__ void __launch_bounds__(NTT_THREADS)
    ntt_scale(const u32* __restrict__ src, u32* __restrict__ dst, const u32* __restrict__ tab,
              u64 mask, u64 total) {
  u64 q = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (q >= total) return;
  dst[q] = fp_mul_mont(src[q], tab[q & mask]);
}

// Bit reversal along the last axis of a (rows, 2^log_n) array (a gather).
extern "C" __global__ void __launch_bounds__(NTT_THREADS)
    ntt_bit_reverse(const u32* __restrict__ src, u32* __restrict__ dst, u32 log_n, u64 total) {
  u64 q = (u64)blockIdx.x * blockDim.x + threadIdx.x;
  if (q >= total) return;
  u64 row = q >> log_n;
  u32 i = (u32)(q & ((1ull << log_n) - 1));
  dst[q] = src[(row << log_n) | bit_reverse_index(i, log_n)];
}

// KS consecutive stages on 2^KS elements in registers: x[m] sits at row j0 + m·2^log_d,
// in column r (0 ≤ r < s) of rows s apart; the stages are the row bits log_d … log_d+KS−1,
// i.e. half-sizes s·2^b. DIF goes from the top bit down, DIT from the bottom up.
template <int KS, bool DIF>
__device__ __forceinline__ void ntt_group(u32 (&x)[1 << KS], const u32* __restrict__ tw, u32 j0,
                                          u32 log_d, u32 r, u32 log_s) {
#pragma unroll
  for (int step = 0; step < KS; ++step) {
    int l = DIF ? KS - 1 - step : step;
    u32 b = log_d + l;
    u32 base = (1u << (log_s + b)) - 1 + r;
#pragma unroll
    for (int m = 0; m < (1 << KS); ++m) {
      if (m & (1 << l)) continue;
      u32 j = j0 + ((u32)m << log_d);
      u32 w = tw[base + ((j & ((1u << b) - 1)) << log_s)];
      u32 lo = x[m], hi = x[m + (1 << l)];
      if (DIF) {
        x[m] = fp_add(lo, hi);
        x[m + (1 << l)] = fp_mul_mont(fp_sub(lo, hi), w);
      } else {
        u32 t = fp_mul_mont(hi, w);
        x[m] = fp_add(lo, t);
        x[m + (1 << l)] = fp_sub(lo, t);
      }
    }
  }
}

// One step of KS stages over the whole tile (buf holds 2^rows_log rows × 2^log_w columns),
// starting at row bit b.
template <int KS, bool DIF>
__device__ __forceinline__ void ntt_tile_step(u32* buf, const u32* __restrict__ tw, u32 b,
                                              u32 log_w, u32 r0, u32 log_s) {
  u32 w_mask = (1u << log_w) - 1;
  for (u32 g = threadIdx.x; g < (NTT_TILE >> KS); g += blockDim.x) {
    u32 c = g & w_mask;
    u32 jj = g >> log_w;
    u32 j0 = ((jj >> b) << (b + KS)) + (jj & ((1u << b) - 1));
    u32 x[1 << KS];
#pragma unroll
    for (int m = 0; m < (1 << KS); ++m) x[m] = buf[((j0 + ((u32)m << b)) << log_w) + c];
    ntt_group<KS, DIF>(x, tw, j0, b, r0 + c, log_s);
#pragma unroll
    for (int m = 0; m < (1 << KS); ++m) buf[((j0 + ((u32)m << b)) << log_w) + c] = x[m];
  }
}

// The stages b_lo … b_lo + stages − 1 (row bits of the tile) on every tile of dst.
//   total: elements of dst (cols·2^log_n); log_n: length of a column of dst.
//   log_s: row stride of a tile (0: contiguous tiles); log_w: its columns (0 when log_s is).
//   log_rep: read src expanded (see the top of the file); 0 reads src like dst.
//   scale: if use_scale, each output is multiplied by scale[q & scale_mask].
//   src may be dst (the strided launches work in place), so neither is __restrict__.
template <bool DIF>
__device__ __forceinline__ void ntt_tile(const u32* src, u32* dst,
                                         const u32* __restrict__ tw, const u32* __restrict__ scale,
                                         u64 total, u32 cols, u32 log_n, u32 log_rep, u32 log_s,
                                         u32 log_w, u32 b_lo, u32 stages, u64 scale_mask,
                                         u32 use_scale) {
  __shared__ u32 buf[NTT_TILE];
  u64 n = 1ull << log_n;
  u64 base;
  u32 r0;
  if (log_s == 0) {
    base = (u64)blockIdx.x << NTT_LOG_TILE;
    r0 = 0;
  } else {
    u64 col = blockIdx.x % cols;
    u64 chunk = blockIdx.x / cols;
    u32 per_block = log_s - log_w;  // log2 of the column runs in a block of rows
    u64 blk = chunk >> per_block;
    r0 = (u32)(chunk & ((1ull << per_block) - 1)) << log_w;
    base = col * n + (blk << (NTT_LOG_TILE - log_w + log_s)) + r0;
  }
  u32 w_mask = (1u << log_w) - 1;
  for (u32 i = threadIdx.x; i < NTT_TILE; i += blockDim.x) {
    u64 q = base + ((u64)(i >> log_w) << log_s) + (i & w_mask);
    if (q < total) {
      u64 from = q;
      if (log_rep) from = ((q >> log_n) << (log_n - log_rep)) + ((q & (n - 1)) >> log_rep);
      buf[i] = src[from];
    }
  }
  __syncthreads();
  // A partial last tile (fewer than NTT_TILE elements in all) holds whole columns, and
  // no group mixes loaded and unloaded slots: the unloaded ones compute garbage that is
  // never stored.
  for (u32 done = 0; done < stages;) {
    u32 left = stages - done;
    if (left >= 2) {
      u32 b = DIF ? b_lo + left - 2 : b_lo + done;
      ntt_tile_step<2, DIF>(buf, tw, b, log_w, r0, log_s);
      done += 2;
    } else {
      u32 b = DIF ? b_lo : b_lo + done;
      ntt_tile_step<1, DIF>(buf, tw, b, log_w, r0, log_s);
      done += 1;
    }
    __syncthreads();
  }
  for (u32 i = threadIdx.x; i < NTT_TILE; i += blockDim.x) {
    u64 q = base + ((u64)(i >> log_w) << log_s) + (i & w_mask);
    if (q < total) {
      u32 v = buf[i];
      dst[q] = use_scale ? fp_mul_mont(v, scale[q & scale_mask]) : v;
    }
  }
}

extern "C" __global__ void __launch_bounds__(NTT_THREADS)
    ntt_dif_tile(const u32* src, u32* dst, const u32* __restrict__ tw,
                 const u32* __restrict__ scale, u64 total, u32 cols, u32 log_n, u32 log_rep,
                 u32 log_s, u32 log_w, u32 b_lo, u32 stages, u64 scale_mask, u32 use_scale) {
  ntt_tile<true>(src, dst, tw, scale, total, cols, log_n, log_rep, log_s, log_w, b_lo, stages,
                 scale_mask, use_scale);
}

extern "C" __global__ void __launch_bounds__(NTT_THREADS)
    ntt_dit_tile(const u32* src, u32* dst, const u32* __restrict__ tw,
                 const u32* __restrict__ scale, u64 total, u32 cols, u32 log_n, u32 log_rep,
                 u32 log_s, u32 log_w, u32 b_lo, u32 stages, u64 scale_mask, u32 use_scale) {
  ntt_tile<false>(src, dst, tw, scale, total, cols, log_n, log_rep, log_s, log_w, b_lo, stages,
                  scale_mask, use_scale);
}

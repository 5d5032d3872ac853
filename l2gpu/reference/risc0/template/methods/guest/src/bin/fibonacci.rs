//! fib(n) with l2gpu's semantics: fib(0) = 0, fib(1) = 1, every value reduced modulo
//! the BabyBear prime P = 2013265921. Reads n (u32); commits (n, fib(n) mod P).
#![no_main]

use risc0_zkvm::guest::env;

risc0_zkvm::guest::entry!(main);

const P: u32 = 2013265921;

fn main() {
    let n: u32 = env::read();
    // Invariant: a = fib(i), b = fib(i + 1) after i steps, both in [0, P).
    let (mut a, mut b) = (0u32, 1u32);
    for _ in 0..n {
        let sum = a + b; // < 2P < 2^32: no overflow
        (a, b) = (b, if sum >= P { sum - P } else { sum });
    }
    env::commit(&(n, a));
}

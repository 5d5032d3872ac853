//! SHA-256 of a message, with the zkVM's SHA-256 accelerator. Reads the message
//! (Vec<u8>); commits the 32 digest bytes (ordinary big-endian SHA-256 output).
#![no_main]

use risc0_zkvm::{
    guest::env,
    sha::{Impl, Sha256},
};

risc0_zkvm::guest::entry!(main);

fn main() {
    let message: Vec<u8> = env::read();
    let digest = Impl::hash_bytes(&message);
    env::commit_slice(digest.as_bytes());
}

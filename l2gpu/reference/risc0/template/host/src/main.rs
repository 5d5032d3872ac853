//! Proves one of l2gpu's programs with RISC Zero's default prover and prints one JSON
//! object on stdout, the protocol `l2gpu.reference.risc0` reads:
//!
//!     l2gpu-risc0-host fibonacci N
//!     l2gpu-risc0-host sha256 MESSAGE_HEX
//!
//! {"program", "inputs", "journal", "total_cycles", "user_cycles", "segments",
//!  "prove_seconds", "receipt_kind", "seal_bytes", "dev_mode", "risc0_version"}
//!
//! The journal is decoded: {"n", "fib_n"} for fibonacci, {"digest": hex} for sha256.
//! With RISC0_DEV_MODE set the prover makes a fake receipt: "receipt_kind" is "fake"
//! and "dev_mode" true, and the driver never counts it as a proof. Errors go to stderr
//! with exit status 1; RISC Zero's own logs go to stderr too.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use methods::{FIBONACCI_ELF, FIBONACCI_ID, SHA256_ELF, SHA256_ID};
use risc0_zkvm::{default_prover, ExecutorEnv, InnerReceipt};
use serde_json::json;

fn main() {
    if let Err(err) = run() {
        eprintln!("l2gpu-risc0-host: {err:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [program, input] = args.as_slice() else {
        bail!("usage: l2gpu-risc0-host fibonacci N | sha256 MESSAGE_HEX");
    };
    let (elf, image_id, inputs, env) = match program.as_str() {
        "fibonacci" => {
            let n: u32 = input
                .parse()
                .with_context(|| format!("N must be an integer in [0, 2^32), got {input:?}"))?;
            let env = ExecutorEnv::builder().write(&n)?.build()?;
            (FIBONACCI_ELF, FIBONACCI_ID, json!({ "n": n }), env)
        }
        "sha256" => {
            let message = decode_hex(input)?;
            let env = ExecutorEnv::builder().write(&message)?.build()?;
            (SHA256_ELF, SHA256_ID, json!({ "message_hex": input }), env)
        }
        other => bail!("unknown program {other:?}; known: fibonacci, sha256"),
    };

    let start = Instant::now();
    let info = default_prover().prove(env, elf)?;
    let prove_seconds = start.elapsed().as_secs_f64();
    let receipt = info.receipt;
    receipt
        .verify(image_id)
        .context("RISC Zero's receipt does not verify")?;

    let journal = if program == "fibonacci" {
        let (n, fib_n): (u32, u32) = receipt.journal.decode()?;
        json!({ "n": n, "fib_n": fib_n })
    } else {
        json!({ "digest": encode_hex(&receipt.journal.bytes) })
    };
    let receipt_kind = match &receipt.inner {
        InnerReceipt::Composite(_) => "composite",
        InnerReceipt::Succinct(_) => "succinct",
        InnerReceipt::Groth16(_) => "groth16",
        InnerReceipt::Fake(_) => "fake",
        _ => bail!("a receipt of a kind this host does not know"),
    };
    let report = json!({
        "program": program,
        "inputs": inputs,
        "journal": journal,
        "total_cycles": info.stats.total_cycles,
        "user_cycles": info.stats.user_cycles,
        "segments": info.stats.segments,
        "prove_seconds": prove_seconds,
        "receipt_kind": receipt_kind,
        "seal_bytes": receipt.seal_size(),
        "dev_mode": receipt_kind == "fake",
        "risc0_version": risc0_zkvm::VERSION,
    });
    println!("{report}");
    Ok(())
}

fn decode_hex(text: &str) -> Result<Vec<u8>> {
    if !text.is_ascii() || text.len() % 2 != 0 {
        bail!("MESSAGE_HEX must be an even number of hex digits");
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&text[i..i + 2], 16)
                .with_context(|| format!("not a hex byte: {:?}", &text[i..i + 2]))
        })
        .collect()
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

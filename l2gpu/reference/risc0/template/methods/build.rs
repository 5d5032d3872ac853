// Builds the guests in ./guest for the zkVM and generates their ELF and image ID constants.
fn main() {
    risc0_build::embed_methods();
}

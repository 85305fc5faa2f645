//! The `cargo-cancelkit` binary: `cargo cancelkit check`.

fn main() -> std::process::ExitCode {
    cargo_cancelkit::cli::main()
}

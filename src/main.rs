//! The `neardup` command: clap parsing and printing over the library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}

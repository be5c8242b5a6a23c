//! The `kalshi-alpha` binary: parses arguments, wires the library, maps errors to exit codes.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    // Output piped into `head` and closed early ends the process quietly, as Unix tools do,
    // instead of a panic on a broken pipe.
    // SAFETY: setting a signal disposition to the default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    cli::init_tracing();
    match cli::run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

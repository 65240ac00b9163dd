//! The `kpi-ledger` binary: parses the command line and hands over to `cli`.
fn main() -> std::process::ExitCode {
    kpi_ledger::cli::main()
}

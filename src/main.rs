//! The `kpi-ledger` binary: parses the command line and hands over to `cli`.

/// mimalloc instead of the system allocator: a server folds, decodes and drops large fact maps
/// on several threads, and glibc's per-thread arenas kept gigabytes of freed memory resident.
/// Its settings: `cli::allocator`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kpi_ledger::cli::allocator::configure();
    kpi_ledger::cli::main()
}

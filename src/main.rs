//! The `kpi-ledger` binary: parses the command line and hands over to `cli`.

/// mimalloc instead of the system allocator: a server folds, decodes and drops large fact maps
/// on several threads, and glibc's per-thread arenas kept gigabytes of freed memory resident.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
/// mimalloc's `mi_option_purge_delay` (its `mi_option_e` in mimalloc.h, version 3): how long freed
/// memory stays with the allocator before it goes back to the system.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // Freed memory goes back at once. By default mimalloc waits a second and then purges only when
    // it next allocates, so a server idle after dropping a copy of its facts (the history fold takes
    // the opened snapshot's place) kept hundreds of megabytes resident that it no longer used.
    // SAFETY: sets an integer option; mimalloc reads it on its next purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    kpi_ledger::cli::main()
}

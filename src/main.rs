//! The `kpi-ledger` binary: parses the command line and hands over to `cli`.

/// mimalloc instead of the system allocator: a server folds, decodes and drops large fact maps
/// on several threads, and glibc's per-thread arenas kept gigabytes of freed memory resident.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
/// mimalloc's `mi_option_purge_delay` (its `mi_option_e` in mimalloc.h, version 3): how long freed
/// memory stays with the allocator before it goes back to the system.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// mimalloc's `mi_option_allow_thp` (its `mi_option_e` in mimalloc.h, version 3): whether it asks the
/// kernel for transparent huge pages.
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

fn main() -> std::process::ExitCode {
    // Freed memory goes back at once. By default mimalloc waits a second and then purges only when
    // it next allocates, so a server idle after dropping a copy of its facts (the history fold takes
    // the opened snapshot's place) kept hundreds of megabytes resident that it no longer used.
    // SAFETY: sets an integer option; mimalloc reads it on its next purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    // No transparent huge pages, unless asked for with MIMALLOC_ALLOW_THP=1. A huge page is resident
    // whole once touched, and what is freed inside it goes back only when all of it is free, so a
    // server's maps of small nodes, folded and let go, kept 75–90 MiB more at its peak with them.
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: sets an integer option; mimalloc reads it whenever it maps memory.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0) };
        // mimalloc turns THP off for the process only when it starts, before `main`: done here for it.
        // SAFETY: takes no pointers; it sets a flag of this process, which nothing else reads.
        #[cfg(target_os = "linux")]
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0)
        };
    }
    kpi_ledger::cli::main()
}

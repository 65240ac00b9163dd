//! The settings of the process's allocator (mimalloc, declared in `src/main.rs`), applied first thing
//! by the binary and by `tools/memory`, so that what the tool measures is what a server holds.

/// mimalloc's `mi_option_purge_delay` (its `mi_option_e` in mimalloc.h, version 3): how long freed
/// memory stays with the allocator before it goes back to the system.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// mimalloc's `mi_option_allow_thp` (its `mi_option_e` in mimalloc.h, version 3): whether it asks the
/// kernel for transparent huge pages.
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// Applies the settings; to be called before the process does any work.
pub fn configure() {
    // Freed memory goes back at once. By default mimalloc waits a second and then purges only when
    // it next allocates, so a server idle after dropping a copy of its facts (the history fold takes
    // the opened snapshot's place) kept hundreds of megabytes resident that it no longer used.
    // SAFETY: sets an integer option; mimalloc reads it on its next purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    // No transparent huge pages, unless the environment says otherwise (MIMALLOC_ALLOW_THP, which
    // mimalloc reads itself). A huge page is resident whole once touched, and what is freed inside
    // one goes back only when all of it is free: a server peaked 70–90 MiB higher with them.
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: sets an integer option; mimalloc reads it whenever it maps memory.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0) };
        // mimalloc turns them off for the process only as it starts, which is before `main`.
        // SAFETY: takes no pointers; it sets a flag of this process for the kernel.
        #[cfg(target_os = "linux")]
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0)
        };
    }
}

//! kpi-ledger: an append-only, hash-chained event ledger for performance assessment.
pub mod article;
pub mod chain;
pub mod cli;
pub mod domain;
pub mod http;
pub mod limits;
pub mod projection;
pub mod service;
pub mod site;
pub mod store;
pub mod tabular;

/// The unit tests' allocator: the system's, counting what each thread holds, so a test can weigh
/// the memory a structure takes (`live_bytes`) rather than assert on its layout.
#[cfg(test)]
pub(crate) mod counted {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    struct Counted;

    thread_local! {
        /// Bytes allocated minus bytes freed by this thread (a `const` cell: no destructor, no
        /// allocation, so the allocator may touch it at any time).
        static LIVE: Cell<isize> = const { Cell::new(0) };
    }

    fn count(bytes: isize) {
        let _ = LIVE.try_with(|live| live.set(live.get() + bytes));
    }

    // SAFETY: every call is passed to the system allocator unchanged; only a counter is kept beside.
    unsafe impl GlobalAlloc for Counted {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            count(layout.size() as isize);
            unsafe { System.alloc(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            count(-(layout.size() as isize));
            unsafe { System.dealloc(ptr, layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            count(new_size as isize - layout.size() as isize);
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    #[global_allocator]
    static COUNTED: Counted = Counted;

    /// What this thread has allocated and not freed, in bytes, since it started.
    pub fn live_bytes() -> isize {
        LIVE.with(Cell::get)
    }
}

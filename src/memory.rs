//! How the terminal keeps its resident memory flat over weeks of selling. Its live heap levels
//! off after the first few hundred sales, but glibc's allocator, left to its defaults, keeps
//! freed memory: one arena per busy thread, each holding on to what its thread freed, and an
//! mmap threshold that rises after the first large free so that later large buffers (QR images,
//! response bodies) land in those arenas too. The benchmark measured resident memory growing
//! by 6 KiB a sale that way, swinging by megabytes between readings (docs/PERFORMANCE.md).

/// One arena for every thread: a terminal runs one sale at a time and its threads hardly
/// contend, while each extra arena keeps its own free memory.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENAS: libc::c_int = 1;
/// Blocks this large or larger get pages of their own and return them when freed. Fixed, so
/// that glibc does not raise it after the first large free.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const OWN_PAGES_FROM: libc::c_int = 64 * 1024;
/// Free memory at the top of the heap above this is returned at once.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const RETURN_TOP_ABOVE: libc::c_int = 128 * 1024;

/// Sets the allocator up as above. Call early in `main`, before any other thread starts: an
/// arena made before it stays.
pub fn settle_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt takes two integers and only changes glibc's allocator parameters; it is
    // called before other threads exist.
    unsafe {
        for (parameter, value) in [
            (libc::M_ARENA_MAX, ARENAS),
            (libc::M_MMAP_THRESHOLD, OWN_PAGES_FROM),
            (libc::M_TRIM_THRESHOLD, RETURN_TOP_ABOVE),
        ] {
            if libc::mallopt(parameter, value) != 1 {
                tracing::warn!(parameter, value, "the allocator did not take a setting");
            }
        }
    }
}

/// Hands memory freed during a sale back to the system: free pages inside the heap, which no
/// threshold returns by itself (without it, resident memory grew by about 20 KiB a sale while
/// the live heap stayed flat). Called as each sale settles, on a worker thread, so that the
/// trim never holds up a frame.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers; it only returns free pages of glibc's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}

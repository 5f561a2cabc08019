// mimalloc: a 1M-parcel audit spends ~40 % of its time in glibc malloc/free otherwise
// (many small geometries and attribute maps allocated and freed across threads).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (the same in mimalloc 2 and 3; libmimalloc-sys has no
/// constant for it): how long freed memory is kept before it is returned to the OS.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // An audit frees each batch's memory and allocates the next batch's a moment later. With
    // mimalloc's default 10 ms purge delay that memory went back to the OS in between and
    // came back as fresh pages the kernel zeroes: on a 1M-parcel audit, ~15,700 page faults
    // and a quarter of the profile in `clear_page_erms`; kept, ~400 faults. A command runs
    // once and ends, so its memory is kept until it exits (peak RSS is unchanged).
    // SAFETY: a process-wide option set before any thread is started or memory is freed.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    ironrule::cli::run(std::env::args_os())
}

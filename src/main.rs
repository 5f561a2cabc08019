// mimalloc: a 1M-parcel audit spends ~40 % of its time in glibc malloc/free otherwise
// (many small geometries and attribute maps allocated and freed across threads).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ironrule::cli::run(std::env::args_os())
}

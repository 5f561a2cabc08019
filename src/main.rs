fn main() -> std::process::ExitCode {
    ironrule::cli::run(std::env::args_os())
}

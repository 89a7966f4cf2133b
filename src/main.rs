fn main() -> std::process::ExitCode {
    priority_line::adapters::cli::main()
}

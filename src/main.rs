use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = xsi_wallboard::cli::Cli::parse();
    xsi_wallboard::run(cli)
}

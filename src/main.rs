use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = xsi_wallboard::cli::Cli::parse();
    if cli.command == Some(xsi_wallboard::cli::Command::GenToken) {
        // Nothing else on stdout: `XSI_WALLBOARD_TOKEN=$(xsi-wallboard gen-token)` must work.
        println!("{}", xsi_wallboard::guard::gen_token());
        return std::process::ExitCode::SUCCESS;
    }
    if let Some(xsi_wallboard::cli::Command::Attach { url }) = &cli.command {
        return xsi_wallboard::attach::run(&cli, url.as_deref());
    }
    xsi_wallboard::run(cli)
}

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = xsi_wallboard::cli::Cli::parse();
    match cli.command.clone() {
        Some(xsi_wallboard::cli::Command::GenToken) => {
            // Nothing else on stdout: `XSI_WALLBOARD_TOKEN=$(xsi-wallboard gen-token)` works.
            println!("{}", xsi_wallboard::guard::gen_token());
            return std::process::ExitCode::SUCCESS;
        }
        Some(xsi_wallboard::cli::Command::Replay(replay)) => {
            return xsi_wallboard::run::replay(cli, &replay);
        }
        Some(xsi_wallboard::cli::Command::Attach { url }) => {
            return xsi_wallboard::attach::run(&cli, url.as_deref());
        }
        None => {}
    }
    xsi_wallboard::run(cli)
}

//! `confide-loadtest`: see the crate documentation and `loadtest/README.md`.

use clap::Parser;
use loadtest::options::Options;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,rtc=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let options = Options::parse();
    if let Err(problem) = options.check() {
        eprintln!("confide-loadtest: {problem}");
        std::process::exit(2);
    }
    let outcome = match loadtest::run::run(options.clone()).await {
        Ok(outcome) => outcome,
        Err(err) => {
            eprintln!("confide-loadtest: {err:#}");
            std::process::exit(1);
        }
    };
    print!("{}", loadtest::report::table(&outcome));
    let write = |path: &std::path::Path, text: String| {
        if let Err(err) = std::fs::write(path, text) {
            eprintln!("confide-loadtest: writing {}: {err}", path.display());
            std::process::exit(1);
        }
    };
    if let Some(path) = &options.json {
        write(
            path,
            serde_json::to_string_pretty(&outcome).unwrap_or_default(),
        );
    }
    if let Some(path) = &options.report {
        write(path, loadtest::report::html(&outcome));
    }
    // Every participant failed: say so with the exit code too.
    if outcome.window.packets_received == 0 {
        eprintln!("confide-loadtest: no media was received");
        std::process::exit(1);
    }
}

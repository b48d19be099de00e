//! The `confide` binary: reads the command line and the configuration,
//! then runs [`api::server`] until it is stopped.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;
use api::config::{CliOverrides, Config, HttpOverride, LogFormat, MediaOverride};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Confide: video visits for therapy clinics, hosted by the clinic.
#[derive(Parser, Debug)]
#[command(
    name = "confide",
    version,
    about = "Confide: video visits for therapy clinics, hosted by the clinic."
)]
struct Cli {
    /// TOML configuration file (default: ./confide.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// HTTP listen address (default 127.0.0.1:8080).
    #[arg(long, global = true)]
    http_listen: Option<SocketAddr>,
    /// UDP address for all media (default 127.0.0.1:50000).
    #[arg(long, global = true)]
    media_listen: Option<SocketAddr>,
    /// IP to advertise in ICE candidates (repeat for several); the public IP
    /// when the server is behind NAT.
    #[arg(long = "advertise", global = true)]
    advertise: Vec<IpAddr>,
    /// Data directory (default ./data).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Copy what the clinic cannot lose into a new folder: the SQLite
    /// database (online, consistent) and the key files.
    Backup {
        /// Folder to create (default: confide-backup-<UTC time>).
        #[arg(long)]
        to: Option<PathBuf>,
    },
    /// Put a backup back into the data directory (Confide must be stopped).
    Restore {
        #[arg(long)]
        from: PathBuf,
        /// Move data already in the data directory aside first.
        #[arg(long)]
        force: bool,
    },
    /// Check the configuration, ports, database, e-mail and WhatsApp
    /// settings without starting (nothing is written or sent).
    Check,
    /// Print an access token for a room, signed with the configured API key.
    Token {
        #[arg(long)]
        room: String,
        #[arg(long)]
        identity: String,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let overrides = CliOverrides {
        http: cli.http_listen.map(|listen| HttpOverride { listen }),
        media: (cli.media_listen.is_some() || !cli.advertise.is_empty()).then(|| MediaOverride {
            listen: cli.media_listen,
            advertise: (!cli.advertise.is_empty()).then(|| cli.advertise.clone()),
        }),
        data_dir: cli.data_dir.clone(),
    };
    // A bad setting is the operator's to fix: say which, plainly, and stop
    // (no "Caused by" chain, no backtrace).
    let config = match Config::load(cli.config.as_deref(), &overrides) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("confide: {err:#}");
            std::process::exit(2);
        }
    };
    init_log(config.log.format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let running = api::server::start(config).await?;
            let scheme = if running.https { "https" } else { "http" };
            println!("Confide is running on {scheme}://{}", running.http_addr);
            stop_signal().await?;
            running.stop().await;
        }
        Command::Check => {
            let found = api::check::run(&config).await;
            for finding in &found {
                println!("{finding}");
            }
            if found.iter().any(|f| f.level == api::check::Level::Problem) {
                std::process::exit(1);
            }
        }
        Command::Backup { to } => {
            let to = to.unwrap_or_else(|| {
                PathBuf::from(format!(
                    "confide-backup-{}",
                    chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
                ))
            });
            done_or_exit("backup", api::backup::backup(&config, &to).await);
            println!("backup written to {}", to.display());
        }
        Command::Restore { from, force } => {
            done_or_exit("restore", api::backup::restore(&config, &from, force).await);
            println!("restored from {}; start Confide again", from.display());
        }
        Command::Token {
            room,
            identity,
            ttl,
        } => {
            let creds = api::api_key::load_or_create(&config.tokens, &config.data_dir)?;
            let token = signaling::token::mint(
                &creds.account_sid,
                &creds.api_key(),
                &identity,
                Some(&room),
                ttl,
                signaling::token::unix_now(),
            );
            println!("{token}");
        }
    }
    Ok(())
}

/// Prints what a command did, or why it could not, plainly (exit 1).
fn done_or_exit(what: &str, result: anyhow::Result<Vec<String>>) {
    match result {
        Ok(lines) => lines.iter().for_each(|line| println!("  {line}")),
        Err(err) => {
            eprintln!("confide {what}: {err:#}");
            std::process::exit(1);
        }
    }
}

/// The log, as `log.format` says, filtered by `RUST_LOG` (default: info,
/// and only errors from the WebRTC stack, which is chatty about every
/// stray packet).
fn init_log(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(
            "info,rtc=error,rtc_ice=error,rtc_dtls=error,rtc_srtp=error,rtc_interceptor=error",
        )
    });
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => log.init(),
        LogFormat::Json => log.json().init(),
    }
}

/// Ctrl-C or SIGTERM (systemd, `kill`): either stops the server gracefully.
async fn stop_signal() -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("listening for SIGTERM")?;
    tokio::select! {
        ctrl_c = tokio::signal::ctrl_c() => ctrl_c.context("waiting for Ctrl-C")?,
        _ = term.recv() => {}
    }
    Ok(())
}

//! The command line, checked before anything starts: a wrong value is a
//! clear message and exit code 2, never a hang.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    Confide,
    Janus,
}

/// Simulated calls through a Confide server (or Janus), measuring the SFU.
#[derive(Parser, Debug, Clone)]
#[command(name = "confide-loadtest", version)]
pub struct Options {
    /// Confide's address (http://HOST:PORT; signaling is at /rtc), or
    /// Janus's websocket (ws://HOST:PORT) with --target janus.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub server: String,
    #[arg(long, value_enum, default_value = "confide")]
    pub target: Target,
    /// Rooms (calls) at once.
    #[arg(long, default_value_t = 10)]
    pub rooms: usize,
    /// Participants per room (2: the clinic's 1:1 call).
    #[arg(long, default_value_t = 2)]
    pub participants: usize,
    /// How long to measure once every call is up (e.g. 30s, 2m).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Joins per second while calls come up.
    #[arg(long, default_value_t = 20.0)]
    pub ramp: f64,
    /// Video bitrate per publisher, kbit/s.
    #[arg(long, default_value_t = 600)]
    pub video_bitrate: u64,
    #[arg(long, default_value_t = 30)]
    pub fps: u32,
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub keyframe_interval: Duration,
    /// Audio (Opus, 50 packets/s): on or off.
    #[arg(long, default_value = "on", value_parser = parse_on_off, action = clap::ArgAction::Set)]
    pub audio: bool,
    /// Video: on or off.
    #[arg(long, default_value = "on", value_parser = parse_on_off, action = clap::ArgAction::Set)]
    pub video: bool,
    /// The SFU's process id, to read its CPU and memory from /proc
    /// (otherwise Confide's /metrics is read).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Confide's API key file (the server's data/api-key.toml) to mint
    /// access tokens with; or give --account-sid, --api-key-sid and
    /// --api-key-secret.
    #[arg(long, default_value = "data/api-key.toml")]
    pub api_key_file: PathBuf,
    #[arg(long)]
    pub account_sid: Option<String>,
    #[arg(long)]
    pub api_key_sid: Option<String>,
    #[arg(long)]
    pub api_key_secret: Option<String>,
    /// Write every figure as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write an HTML page with plots over time here.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Add calls until loss passes 1 % or p99 latency 50 ms; report the
    /// most calls that held.
    #[arg(long)]
    pub find_max: bool,
    /// --find-max: calls added per step, and how long each step is held.
    #[arg(long, default_value_t = 25)]
    pub step: usize,
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub hold: Duration,
    /// --find-max: stop at this many calls even if all is well.
    #[arg(long, default_value_t = 2000)]
    pub max_calls: usize,
    /// Media threads of the harness.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Local address the simulated participants send from.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// No live progress line.
    #[arg(long)]
    pub quiet: bool,
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map(|i| text.split_at(i))
        .unwrap_or((text, "s"));
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (like 30s, 2m, 500ms)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" | "" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("{text:?}: the unit must be ms, s, m or h")),
    };
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(format!("{text:?} must be more than zero"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn parse_on_off(text: &str) -> Result<bool, String> {
    match text {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err(format!("{text:?}: say on or off")),
    }
}

/// The account and API key tokens are minted with.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub account_sid: String,
    pub key: signaling::token::ApiKey,
}

impl Options {
    pub fn check(&self) -> Result<(), String> {
        if self.rooms == 0 || self.rooms > 5000 {
            return Err("--rooms must be 1 to 5000".into());
        }
        if !(1..=10).contains(&self.participants) {
            return Err("--participants must be 1 to 10".into());
        }
        if !(self.ramp > 0.0 && self.ramp <= 1000.0) {
            return Err("--ramp must be more than 0 and at most 1000 joins/s".into());
        }
        if !(50..=20_000).contains(&self.video_bitrate) {
            return Err("--video-bitrate must be 50 to 20000 kbit/s".into());
        }
        if !(1..=120).contains(&self.fps) {
            return Err("--fps must be 1 to 120".into());
        }
        if !self.audio && !self.video {
            return Err("with --audio off and --video off there is nothing to send".into());
        }
        if !(1..=64).contains(&self.threads) {
            return Err("--threads must be 1 to 64".into());
        }
        if self.find_max && self.step == 0 {
            return Err("--step must be at least 1".into());
        }
        let scheme_ok = match self.target {
            Target::Confide => {
                self.server.starts_with("http://") || self.server.starts_with("https://")
            }
            Target::Janus => self.server.starts_with("ws://") || self.server.starts_with("wss://"),
        };
        if !scheme_ok {
            return Err(match self.target {
                Target::Confide => format!(
                    "--server {:?}: Confide's address is http(s)://HOST:PORT",
                    self.server
                ),
                Target::Janus => format!(
                    "--server {:?}: Janus's websocket is ws://HOST:PORT",
                    self.server
                ),
            });
        }
        Ok(())
    }

    /// Frames between keyframes.
    pub fn keyframe_frames(&self) -> u32 {
        ((self.keyframe_interval.as_secs_f64() * self.fps as f64).round() as u32).max(1)
    }

    /// The API key from the flags, else from the key file.
    pub fn credentials(&self) -> anyhow::Result<Credentials> {
        if let (Some(account_sid), Some(sid), Some(secret)) =
            (&self.account_sid, &self.api_key_sid, &self.api_key_secret)
        {
            return Ok(Credentials {
                account_sid: account_sid.clone(),
                key: signaling::token::ApiKey {
                    sid: sid.clone(),
                    secret: secret.clone(),
                },
            });
        }
        let text = std::fs::read_to_string(&self.api_key_file).map_err(|e| {
            anyhow::anyhow!(
                "reading the API key file {} ({e}); point --api-key-file at the server's data/api-key.toml or give --account-sid, --api-key-sid and --api-key-secret",
                self.api_key_file.display()
            )
        })?;
        let value = |name: &str| -> anyhow::Result<String> {
            text.lines()
                .filter_map(|l| l.split_once('='))
                .find(|(k, _)| k.trim() == name)
                .map(|(_, v)| v.trim().trim_matches('"').to_owned())
                .ok_or_else(|| anyhow::anyhow!("{} has no {name}", self.api_key_file.display()))
        };
        Ok(Credentials {
            account_sid: value("account_sid")?,
            key: signaling::token::ApiKey {
                sid: value("api_key_sid")?,
                secret: value("api_key_secret")?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_bad_values() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("3d").is_err());
    }

    #[test]
    fn arguments_are_checked() {
        let ok = Options::parse_from(["confide-loadtest"]);
        assert_eq!(ok.check(), Ok(()));
        assert_eq!(ok.keyframe_frames(), 60);
        for (args, problem) in [
            (vec!["--rooms", "0"], "--rooms"),
            (vec!["--participants", "11"], "--participants"),
            (vec!["--server", "ftp://x"], "http"),
            (vec!["--audio", "off", "--video", "off"], "nothing to send"),
            (vec!["--target", "janus"], "ws://"),
        ] {
            let mut argv = vec!["confide-loadtest"];
            argv.extend(args);
            let options = Options::parse_from(argv);
            assert!(options.check().unwrap_err().contains(problem), "{problem}");
        }
        assert!(Options::try_parse_from(["confide-loadtest", "--audio", "maybe"]).is_err());
    }
}

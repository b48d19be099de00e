//! The SMTP server and WhatsApp Cloud API mock (`tests/mocks/notify_mocks.py`)
//! as a test resource: started on 127.0.0.1, queried over HTTP, killed when
//! the test is done (even when it panics).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use api::reminders::NotificationsConfig;
use api::reminders::config::{SmtpConfig, SmtpSecurity, WhatsAppConfig};
use serde_json::Value;

pub const PHONE_NUMBER_ID: &str = "1098765432";
pub const WHATSAPP_TOKEN: &str = "EAAG-test-token";

pub struct Mocks {
    child: Child,
    pub smtp_port: u16,
    pub http_base: String,
    http: reqwest::Client,
}

impl Mocks {
    pub fn start() -> Mocks {
        Self::start_with(&[])
    }

    /// With the SMTP server behind TLS: `mode` is `starttls` or `implicit`.
    /// `auth`: `user:password` the server then requires.
    pub fn start_tls(
        cert: &std::path::Path,
        key: &std::path::Path,
        mode: &str,
        auth: Option<&str>,
    ) -> Mocks {
        let mut args = vec![
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
            "--tls-mode",
            mode,
        ];
        if let Some(auth) = auth {
            args.extend(["--auth", auth]);
        }
        Self::start_with(&args)
    }

    fn start_with(args: &[&str]) -> Mocks {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/mocks/notify_mocks.py"
        );
        let mut child = Command::new("python3")
            .arg(script)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the provider mocks (scripts/test.sh installs aiosmtpd)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the mocks say where they listen");
        let ports: Value = serde_json::from_str(&line).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("the mocks did not start (is aiosmtpd installed?): {line:?}")
        });
        Mocks {
            child,
            smtp_port: ports["smtp_port"].as_u64().unwrap() as u16,
            http_base: format!("http://127.0.0.1:{}", ports["http_port"]),
            http: reqwest::Client::new(),
        }
    }

    /// Notifications through both mocks; retries after a second.
    pub fn config(&self) -> NotificationsConfig {
        NotificationsConfig {
            retry_base_secs: 1,
            retry_max_secs: 4,
            smtp: Some(SmtpConfig {
                host: "127.0.0.1".into(),
                port: Some(self.smtp_port),
                security: SmtpSecurity::None,
                username: None,
                password: None,
                from: "reminders@clinic.test".into(),
                ca_file: None,
                timeout_secs: 10,
            }),
            whatsapp: Some(WhatsAppConfig {
                api_base: self.http_base.clone(),
                api_version: "v23.0".into(),
                phone_number_id: PHONE_NUMBER_ID.into(),
                access_token: WHATSAPP_TOKEN.into(),
                timeout_secs: 10,
                templates: Default::default(),
            }),
            ..NotificationsConfig::default()
        }
    }

    async fn get(&self, path: &str) -> Vec<Value> {
        let url = format!("{}{path}", self.http_base);
        let value: Value = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        value.as_array().cloned().unwrap_or_default()
    }

    pub async fn emails(&self) -> Vec<Value> {
        self.get("/_mock/emails").await
    }

    /// How many emails and WhatsApp requests arrived (cheap to poll).
    pub async fn counts(&self) -> (usize, usize) {
        let url = format!("{}/_mock/counts", self.http_base);
        let value: Value = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            value["emails"].as_u64().unwrap_or(0) as usize,
            value["whatsapp"].as_u64().unwrap_or(0) as usize,
        )
    }

    /// Every request the Cloud API mock saw, whatever it answered.
    pub async fn whatsapp(&self) -> Vec<Value> {
        self.get("/_mock/whatsapp").await
    }

    /// `{"whatsapp_answers": [429, 200], "smtp_answers": ["451 …"], "delay_ms": n}`
    pub async fn configure(&self, config: Value) {
        let url = format!("{}/_mock/config", self.http_base);
        let status = self
            .http
            .post(url)
            .json(&config)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success());
    }

    /// Waits until the mocks hold at least this many emails and WhatsApp
    /// requests (`testkit::wait::DEADLINE` at most); returns what they hold.
    pub async fn wait_for(&self, emails: usize, whatsapp: usize) -> (Vec<Value>, Vec<Value>) {
        let _ = testkit::wait::until("the mocks' messages", || async {
            let (e, w) = (self.emails().await, self.whatsapp().await);
            (e.len() >= emails && w.len() >= whatsapp).then_some(())
        })
        .await;
        (self.emails().await, self.whatsapp().await)
    }
}

impl Drop for Mocks {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A calendar part's property (`"UID"`, `"SEQUENCE"`…), parameters dropped.
pub fn ics_value(email: &Value, name: &str) -> Option<String> {
    email["calendar"].as_array()?.iter().find_map(|line| {
        let line = line.as_str()?;
        let (key, value) = line.split_once(':')?;
        (key.split(';').next() == Some(name)).then(|| value.to_owned())
    })
}

/// The body parameters of a recorded WhatsApp request.
pub fn wa_parameters(request: &Value) -> Vec<String> {
    request["body"]["template"]["components"][0]["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| p["text"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

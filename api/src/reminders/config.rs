//! The `[notifications]` section: how messages look (locale, formats,
//! templates), how they are dispatched, and the two providers. With neither
//! provider set, messages go to the dev outbox.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::Locale;
use chrono::format::{Item, StrftimeItems};
use serde::{Deserialize, Serialize};

use super::kinds::Stage;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NotificationsConfig {
    /// The clinic's name, shown in messages and as the email sender's name.
    pub clinic_name: String,
    /// Locale for day and month names in dates ("en_US", "pt_BR", "es_ES"…).
    pub locale: String,
    /// strftime patterns for the date and time in messages, rendered in the
    /// recipient's own time zone.
    pub date_format: String,
    pub time_format: String,
    /// A folder whose `{stage}.txt` / `{stage}.html` / `layout.html` replace
    /// the built-in templates (a clinic's wording or translation).
    pub templates_dir: Option<PathBuf>,
    /// Messages being sent at once. A process killed mid-send can deliver at
    /// most this many messages twice (each was accepted by the provider but
    /// not yet recorded).
    pub max_in_flight: usize,
    /// How long a claimed message is reserved for the process that claimed
    /// it; after that another process (or this one restarted) takes it over.
    pub lease_secs: u64,
    /// Sending attempts before a message is marked failed.
    pub max_attempts: i64,
    /// Retry delay: doubles from `retry_base_secs` up to `retry_max_secs`,
    /// with jitter.
    pub retry_base_secs: u64,
    pub retry_max_secs: u64,
    pub smtp: Option<SmtpConfig>,
    pub whatsapp: Option<WhatsAppConfig>,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            clinic_name: "Confide".to_owned(),
            locale: "en_US".to_owned(),
            date_format: "%A, %B %-d".to_owned(),
            time_format: "%-I:%M %p".to_owned(),
            templates_dir: None,
            max_in_flight: 16,
            lease_secs: 60,
            max_attempts: 8,
            retry_base_secs: 30,
            retry_max_secs: 1800,
            smtp: None,
            whatsapp: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587); refuses to send
    /// if the server does not offer it.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same host or in tests.
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// Default: 587 (starttls), 465 (tls), 25 (none).
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: SmtpSecurity,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// The sender address, e.g. "reminders@clinic.example".
    pub from: String,
    /// A PEM file with the certificate authority that signed the server's
    /// certificate, for an in-house relay with a private CA; the public web
    /// roots are trusted without it.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppConfig {
    #[serde(default = "default_graph_base")]
    pub api_base: String,
    #[serde(default = "default_graph_version")]
    pub api_version: String,
    pub phone_number_id: String,
    pub access_token: String,
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Per stage (`confirmation`, `reminder_24h`, …): the approved template
    /// to use. Stages left out use [`WhatsAppTemplate::default_for`].
    #[serde(default)]
    pub templates: BTreeMap<Stage, WhatsAppTemplate>,
}

impl WhatsAppConfig {
    pub fn template(&self, stage: Stage) -> WhatsAppTemplate {
        self.templates
            .get(&stage)
            .cloned()
            .unwrap_or_else(|| WhatsAppTemplate::default_for(stage))
    }
}

/// A WhatsApp message template approved in the clinic's Meta account:
/// its name, language, and the body parameters in order, each a template
/// expression over the message's fields (`{{ date }}`, `{{ link }}`…).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppTemplate {
    pub name: String,
    pub language: String,
    pub parameters: Vec<String>,
}

impl WhatsAppTemplate {
    /// The templates a clinic registers with Meta from `deploy/whatsapp-templates.md`.
    /// Times carry their zone: a WhatsApp message has no other place to say it.
    pub fn default_for(stage: Stage) -> WhatsAppTemplate {
        const TIME: &str = "{{ time }} ({{ time_zone }})";
        let p = |names: &[&str]| -> Vec<String> {
            names
                .iter()
                .map(|n| match *n {
                    "time" => TIME.to_owned(),
                    n => format!("{{{{ {n} }}}}"),
                })
                .collect()
        };
        let parameters = match stage {
            Stage::Confirmation | Stage::Reminder24h => p(&[
                "recipient_name",
                "date",
                "time",
                "other_name",
                "duration_minutes",
                "link",
            ]),
            Stage::Reminder1h => p(&["recipient_name", "other_name", "time", "link"]),
            Stage::Reminder15m => {
                p(&["recipient_name", "other_name", "time", "link", "check_link"])
            }
            Stage::Rescheduled => p(&[
                "recipient_name",
                "other_name",
                "previous_date",
                "previous_time",
                "date",
                "time",
                "link",
            ]),
            Stage::Cancelled => p(&["recipient_name", "date", "time", "other_name"]),
        };
        WhatsAppTemplate {
            name: format!("confide_{}", stage.as_str()),
            language: "en_US".to_owned(),
            parameters,
        }
    }
}

fn default_timeout_secs() -> u64 {
    20
}

fn default_graph_base() -> String {
    "https://graph.facebook.com".to_owned()
}

fn default_graph_version() -> String {
    "v23.0".to_owned()
}

impl NotificationsConfig {
    /// Checks what serde cannot: values in range, a locale chrono knows,
    /// formats that render.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_in_flight == 0 || self.max_in_flight > 256 {
            return Err("notifications.max_in_flight must be 1 to 256".into());
        }
        if self.lease_secs < 1 {
            return Err("notifications.lease_secs must be at least 1".into());
        }
        if self.max_attempts < 1 {
            return Err("notifications.max_attempts must be at least 1".into());
        }
        if self.retry_base_secs == 0 || self.retry_max_secs < self.retry_base_secs {
            return Err(
                "notifications.retry_base_secs must be at least 1 and at most retry_max_secs"
                    .into(),
            );
        }
        check_formats(self)?;
        if let Some(smtp) = &self.smtp {
            if smtp.host.trim().is_empty() {
                return Err("notifications.smtp.host is empty".into());
            }
            if smtp.from.parse::<lettre::message::Mailbox>().is_err() {
                return Err(format!(
                    "notifications.smtp.from is not an email address: {:?}",
                    smtp.from
                ));
            }
            if smtp.username.is_some() != smtp.password.is_some() {
                return Err(
                    "notifications.smtp: set both username and password, or neither".into(),
                );
            }
        }
        if let Some(wa) = &self.whatsapp {
            if !(wa.api_base.starts_with("https://") || wa.api_base.starts_with("http://")) {
                return Err("notifications.whatsapp.api_base must be an http(s) URL".into());
            }
            if wa.phone_number_id.is_empty()
                || !wa.phone_number_id.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(
                    "notifications.whatsapp.phone_number_id must be the numeric id Meta shows"
                        .into(),
                );
            }
            if wa.access_token.trim().is_empty() {
                return Err("notifications.whatsapp.access_token is empty".into());
            }
        }
        Ok(())
    }
}

pub fn parse_locale(name: &str) -> Result<Locale, String> {
    Locale::try_from(name).map_err(|_| {
        format!("notifications.locale {name:?} is not a locale chrono knows (like en_US, pt_BR)")
    })
}

fn format_ok(pattern: &str, locale: Locale) -> bool {
    !StrftimeItems::new_with_locale(pattern, locale).any(|item| matches!(item, Item::Error))
}

/// The locale exists and the date and time formats are valid strftime.
pub fn check_formats(config: &NotificationsConfig) -> Result<(), String> {
    let locale = parse_locale(&config.locale)?;
    for (name, pattern) in [
        ("date_format", &config.date_format),
        ("time_format", &config.time_format),
    ] {
        if !format_ok(pattern, locale) {
            return Err(format!(
                "notifications.{name} {pattern:?} is not a valid strftime pattern"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parameters `{{n}}` of a template body, in order of appearance.
    fn numbers(body: &str) -> Vec<usize> {
        let mut found = Vec::new();
        let mut rest = body;
        while let Some((_, after)) = rest.split_once("{{") {
            let Some((number, tail)) = after.split_once("}}") else {
                break;
            };
            found.extend(number.parse::<usize>().ok());
            rest = tail;
        }
        found
    }

    #[test]
    fn the_documented_templates_are_ones_meta_accepts_and_take_what_confide_sends() {
        let doc = include_str!("../../../deploy/whatsapp-templates.md");
        let mut seen = 0;
        for stage in Stage::ALL {
            let name = format!("`confide_{}`", stage.as_str());
            let row = doc
                .lines()
                .find(|l| l.contains(&name))
                .unwrap_or_else(|| panic!("{name} is in the table"));
            let body = row.trim_end_matches('|').rsplit('|').next().unwrap().trim();
            let count = WhatsAppTemplate::default_for(stage).parameters.len();
            assert_eq!(
                numbers(body),
                (1..=count).collect::<Vec<_>>(),
                "{name}: {body}"
            );
            assert!(!body.starts_with("{{"), "{name} starts with a parameter");
            assert!(
                !body.trim_end_matches(['.', '!', ' ']).ends_with("}}"),
                "{name} ends with a parameter: {body}"
            );
            seen += 1;
        }
        assert_eq!(seen, 6);
    }
}

//! Message texts: one template per stage (`{stage}.txt`, a `Subject:` line,
//! a blank line, the body), plus `layout.html`, which turns that body into
//! the HTML part, so a clinic rewrites or translates one file per stage.
//! Built-in templates live in `api/templates/reminders/`; a clinic's own
//! folder (`notifications.templates_dir`) replaces any of them. Templates
//! are minijinja (Jinja2) with strict variables: a misspelt field stops
//! Confide at start with the template's name, not at the first send.
//!
//! Dates and times are rendered in the recipient's own time zone, with the
//! configured locale's day and month names.

use std::str::FromStr;

use chrono::{DateTime, Locale, TimeZone, Utc};
use chrono_tz::Tz;
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use super::config::{NotificationsConfig, WhatsAppTemplate, check_formats, parse_locale};
use super::kinds::Stage;
use super::outbox::Claimed;

const BUILT_IN: [(&str, &str); 8] = [
    (
        "password_reset.txt",
        include_str!("../../templates/reminders/password_reset.txt"),
    ),
    (
        "confirmation.txt",
        include_str!("../../templates/reminders/confirmation.txt"),
    ),
    (
        "reminder_24h.txt",
        include_str!("../../templates/reminders/reminder_24h.txt"),
    ),
    (
        "reminder_1h.txt",
        include_str!("../../templates/reminders/reminder_1h.txt"),
    ),
    (
        "reminder_15m.txt",
        include_str!("../../templates/reminders/reminder_15m.txt"),
    ),
    (
        "rescheduled.txt",
        include_str!("../../templates/reminders/rescheduled.txt"),
    ),
    (
        "cancelled.txt",
        include_str!("../../templates/reminders/cancelled.txt"),
    ),
    (
        "layout.html",
        include_str!("../../templates/reminders/layout.html"),
    ),
];

/// What templates can use.
#[derive(Debug, Clone, Serialize)]
pub struct Fields {
    pub stage: &'static str,
    pub clinic_name: String,
    pub clinic_url: String,
    pub recipient_name: String,
    pub for_psychologist: bool,
    pub psychologist_name: String,
    /// Only the first name: messages show up on lock screens.
    pub patient_first_name: String,
    /// Who the appointment is with, as the recipient knows them: the
    /// psychologist for a patient, the patient's first name for the
    /// psychologist (who is never told of an appointment "with" herself).
    pub other_name: String,
    pub date: String,
    pub time: String,
    pub time_zone: String,
    /// A reschedule notice's old date and time (empty for other stages).
    pub previous_date: String,
    pub previous_time: String,
    pub duration_minutes: i64,
    pub link: String,
    pub check_link: String,
}

/// What the account e-mails (`password_reset.txt`) can use.
#[derive(Debug, Clone, Serialize)]
pub struct AccountFields {
    pub clinic_name: String,
    pub clinic_url: String,
    pub recipient_name: String,
    /// The single-use link.
    pub link: String,
    pub valid_minutes: i64,
}

/// A rendered email.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Renderer {
    env: Environment<'static>,
    locale: Locale,
    language: String,
    date_format: String,
    time_format: String,
    clinic_name: String,
    public_url: String,
}

/// A run of a line: text, or a link. `href` is escaped here for an
/// attribute and passed as safe, because minijinja's HTML escaping also
/// turns every `/` into `&#x2f;`, which makes links unreadable in the
/// source some mail clients show.
#[derive(Serialize)]
struct Piece {
    text: String,
    href: Option<minijinja::Value>,
}

fn attribute(url: &str) -> minijinja::Value {
    let escaped = url
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    minijinja::Value::from_safe_string(escaped)
}

impl Renderer {
    /// Loads the templates (built-in, then the clinic's folder) and renders
    /// each once with sample fields, so a broken template is a start-up
    /// error naming the file.
    pub fn new(config: &NotificationsConfig, public_url: &str) -> anyhow::Result<Renderer> {
        check_formats(config).map_err(anyhow::Error::msg)?;
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        for (name, source) in BUILT_IN {
            let own = config
                .templates_dir
                .as_ref()
                .map(|dir| dir.join(name))
                .filter(|path| path.exists());
            let source = match own {
                Some(path) => std::fs::read_to_string(&path)
                    .map_err(|e| anyhow::anyhow!("reading the template {}: {e}", path.display()))?,
                None => source.to_owned(),
            };
            env.add_template_owned(name, source)
                .map_err(|e| anyhow::anyhow!("template {name}: {e:#}"))?;
        }
        let renderer = Renderer {
            env,
            locale: parse_locale(&config.locale).map_err(anyhow::Error::msg)?,
            language: config.locale.split('_').next().unwrap_or("en").to_owned(),
            date_format: config.date_format.clone(),
            time_format: config.time_format.clone(),
            clinic_name: config.clinic_name.clone(),
            public_url: public_url.trim_end_matches('/').to_owned(),
        };
        let sample = renderer.sample_fields();
        for stage in Stage::ALL {
            let fields = Fields {
                stage: stage.as_str(),
                ..sample.clone()
            };
            renderer
                .email(stage, &fields)
                .map_err(|e| anyhow::anyhow!("template {}.txt: {e:#}", stage.as_str()))?;
        }
        renderer
            .account_email("password_reset", &renderer.sample_account_fields())
            .map_err(|e| anyhow::anyhow!("template password_reset.txt: {e:#}"))?;
        Ok(renderer)
    }

    fn sample_fields(&self) -> Fields {
        let at = Utc
            .with_ymd_and_hms(2030, 11, 15, 14, 0, 0)
            .single()
            .unwrap_or_default();
        let (date, time, time_zone) = self.local(at, "America/New_York");
        Fields {
            stage: "confirmation",
            clinic_name: self.clinic_name.clone(),
            clinic_url: self.public_url.clone(),
            recipient_name: "Sample Patient".into(),
            for_psychologist: false,
            psychologist_name: "Dr. Sample".into(),
            patient_first_name: "Sample".into(),
            other_name: "Dr. Sample".into(),
            date: date.clone(),
            time: time.clone(),
            time_zone,
            previous_date: date,
            previous_time: time,
            duration_minutes: 50,
            link: format!("{}/video-session/apt-1-sample", self.public_url),
            check_link: format!("{}/pre-call?room=apt-1-sample", self.public_url),
        }
    }

    fn sample_account_fields(&self) -> AccountFields {
        AccountFields {
            clinic_name: self.clinic_name.clone(),
            clinic_url: self.public_url.clone(),
            recipient_name: "Sample Patient".into(),
            link: format!("{}/reset-password#token=sample", self.public_url),
            valid_minutes: 60,
        }
    }

    pub fn clinic_name(&self) -> &str {
        &self.clinic_name
    }

    /// The clinic's address, as links in messages start.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Date, time and zone label of `at` in `zone` (UTC when unknown).
    pub fn local(&self, at: DateTime<Utc>, zone: &str) -> (String, String, String) {
        let tz = Tz::from_str(zone).unwrap_or(Tz::UTC);
        let local = at.with_timezone(&tz);
        let label = local.format("%Z").to_string();
        // chrono-tz names zones without an abbreviation by offset ("-03").
        let label = if label.starts_with(['+', '-']) {
            format!("UTC{label}")
        } else {
            label
        };
        (
            local
                .format_localized(&self.date_format, self.locale)
                .to_string(),
            local
                .format_localized(&self.time_format, self.locale)
                .to_string(),
            label,
        )
    }

    /// The fields of a claimed row's message.
    pub fn fields(&self, row: &Claimed, stage: Stage) -> Fields {
        let starts_at = Utc
            .timestamp_opt(row.starts_at, 0)
            .single()
            .unwrap_or_default();
        let (date, time, time_zone) = self.local(starts_at, &row.recipient_time_zone);
        let (previous_date, previous_time) = row
            .previous_starts_at
            .and_then(|at| Utc.timestamp_opt(at, 0).single())
            .map(|at| {
                let (date, time, _) = self.local(at, &row.recipient_time_zone);
                (date, time)
            })
            .unwrap_or_default();
        let room = row.video_room_id.clone().unwrap_or_default();
        let for_psychologist = row.recipient_role == "psychologist";
        let patient_first_name = row
            .patient_name
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
        Fields {
            stage: stage.as_str(),
            clinic_name: self.clinic_name.clone(),
            clinic_url: self.public_url.clone(),
            recipient_name: row.recipient_name.clone(),
            for_psychologist,
            psychologist_name: row.psychologist_name.clone(),
            other_name: if for_psychologist {
                patient_first_name.clone()
            } else {
                row.psychologist_name.clone()
            },
            patient_first_name,
            date,
            time,
            time_zone,
            previous_date,
            previous_time,
            duration_minutes: row.duration_minutes,
            link: format!("{}/video-session/{room}", self.public_url),
            check_link: format!("{}/pre-call?room={room}", self.public_url),
        }
    }

    /// The email: subject, plain text, and the HTML made from the text by
    /// `layout.html`.
    pub fn email(&self, stage: Stage, fields: &Fields) -> Result<Rendered, minijinja::Error> {
        self.render(stage.as_str(), fields)
    }

    /// An e-mail about the account (`name` is `password_reset`).
    pub fn account_email(
        &self,
        name: &str,
        fields: &AccountFields,
    ) -> Result<Rendered, minijinja::Error> {
        self.render(name, fields)
    }

    /// `{name}.txt` with `fields`, and its HTML part.
    fn render(&self, name: &str, fields: &impl Serialize) -> Result<Rendered, minijinja::Error> {
        let name = format!("{name}.txt");
        let whole = self.env.get_template(&name)?.render(fields)?;
        let (head, body) = whole.split_once("\n\n").unwrap_or(("", &whole));
        let subject = head
            .trim()
            .strip_prefix("Subject:")
            .map(|s| s.trim().to_owned())
            .ok_or_else(|| {
                minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("{name} must start with a \"Subject:\" line and a blank line"),
                )
            })?;
        let text = body.trim().to_owned();
        let paragraphs: Vec<Vec<Vec<Piece>>> = text
            .split("\n\n")
            .map(|p| p.lines().map(linkify).collect())
            .collect();
        let html = self
            .env
            .get_template("layout.html")?
            .render(minijinja::context! {
                paragraphs,
                subject => &subject,
                language => &self.language,
                ..minijinja::Value::from_serialize(fields)
            })?;
        Ok(Rendered {
            subject,
            text,
            html,
        })
    }

    /// A WhatsApp template's body parameters, in order.
    pub fn whatsapp_parameters(
        &self,
        template: &WhatsAppTemplate,
        fields: &Fields,
    ) -> Result<Vec<String>, minijinja::Error> {
        template
            .parameters
            .iter()
            .map(|p| self.env.render_str(p, fields))
            .collect()
    }
}

/// Splits a line into text and `http(s)://` links.
fn linkify(line: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    for (i, word) in line.split(' ').enumerate() {
        if i > 0 {
            text.push(' ');
        }
        if word.starts_with("https://") || word.starts_with("http://") {
            if !text.is_empty() {
                pieces.push(Piece {
                    text: std::mem::take(&mut text),
                    href: None,
                });
            }
            pieces.push(Piece {
                text: word.to_owned(),
                href: Some(attribute(word)),
            });
        } else {
            text.push_str(word);
        }
    }
    if !text.is_empty() {
        pieces.push(Piece { text, href: None });
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> NotificationsConfig {
        NotificationsConfig::default()
    }

    #[test]
    fn dates_are_local_to_the_recipient_and_localized() {
        let renderer = Renderer::new(&config(), "https://clinic.example").unwrap();
        let at = Utc.with_ymd_and_hms(2025, 11, 15, 14, 0, 0).unwrap();
        assert_eq!(
            renderer.local(at, "America/New_York"),
            (
                "Saturday, November 15".into(),
                "9:00 AM".into(),
                "EST".into()
            )
        );
        assert_eq!(
            renderer.local(at, "America/Sao_Paulo"),
            (
                "Saturday, November 15".into(),
                "11:00 AM".into(),
                "UTC-03".into()
            )
        );
        let portuguese = NotificationsConfig {
            locale: "pt_BR".into(),
            date_format: "%A, %-d de %B".into(),
            time_format: "%H:%M".into(),
            ..config()
        };
        let renderer = Renderer::new(&portuguese, "https://clinic.example").unwrap();
        assert_eq!(
            renderer.local(at, "America/Sao_Paulo").0,
            "sábado, 15 de novembro"
        );
    }

    #[test]
    fn every_stage_renders_a_subject_text_and_html_with_the_link() {
        let renderer = Renderer::new(&config(), "https://clinic.example").unwrap();
        let sample = renderer.sample_fields();
        for stage in Stage::ALL {
            let email = renderer.email(stage, &sample).unwrap();
            assert!(!email.subject.is_empty());
            assert!(!email.text.starts_with("Subject"));
            if stage != Stage::Cancelled {
                assert!(email.text.contains(&sample.link), "{stage:?}");
                assert!(
                    email.html.contains(&format!("href=\"{}\"", sample.link)),
                    "{stage:?}"
                );
            }
        }
        let fifteen = renderer.email(Stage::Reminder15m, &sample).unwrap();
        assert!(fifteen.text.contains("Test your camera & mic"));
        assert!(
            fifteen.html.contains("Test your camera &amp; mic"),
            "escaped"
        );
        assert!(fifteen.html.contains(&sample.check_link));
    }

    #[test]
    fn whatsapp_parameters_name_the_other_person_and_carry_the_zone() {
        use super::super::config::WhatsAppTemplate;
        let renderer = Renderer::new(&config(), "https://clinic.example").unwrap();
        let mut fields = renderer.sample_fields();
        fields.for_psychologist = true;
        fields.other_name = "Sample".into();
        fields.previous_date = "Thursday, November 14".into();
        let params = |stage| {
            renderer
                .whatsapp_parameters(&WhatsAppTemplate::default_for(stage), &fields)
                .unwrap()
        };
        for stage in Stage::ALL {
            let params = params(stage);
            assert!(
                params.iter().all(|p| !p.is_empty()),
                "{stage:?}: {params:?}"
            );
            assert!(
                !params.contains(&fields.psychologist_name),
                "{stage:?}: {params:?}"
            );
            assert!(
                params.contains(&"9:00 AM (EST)".to_owned()),
                "{stage:?}: {params:?}"
            );
        }
        assert_eq!(
            params(Stage::Rescheduled)[1..4],
            ["Sample", "Thursday, November 14", "9:00 AM"]
        );
    }

    #[test]
    fn lines_stay_apart_and_the_psychologist_reads_of_the_patient() {
        let renderer = Renderer::new(&config(), "https://clinic.example").unwrap();
        let mut fields = renderer.sample_fields();
        fields.for_psychologist = true;
        fields.other_name = "Sample".into();
        let text = renderer.email(Stage::Confirmation, &fields).unwrap().text;
        assert!(
            text.contains("A video session with Sample is booked:\n📅 Friday, November 15 at 9:00 AM (EST)\n👤 With Sample\n"),
            "{text}"
        );
        for stage in Stage::ALL {
            let email = renderer.email(stage, &fields).unwrap();
            assert!(
                !email.text.contains("Dr. Sample"),
                "{stage:?}: {}",
                email.text
            );
        }
        fields.previous_date = "Thursday, November 14".into();
        fields.previous_time = "4:00 PM".into();
        let moved = renderer.email(Stage::Rescheduled, &fields).unwrap().text;
        assert!(
            moved.contains("with Sample on Thursday, November 14 at 4:00 PM has a new time:\n📅 Friday, November 15 at 9:00 AM (EST)"),
            "{moved}"
        );
    }

    #[test]
    fn a_broken_clinic_template_stops_the_start_with_its_name() {
        let dir = std::env::temp_dir().join(format!("confide-tpl-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("reminder_1h.txt"),
            "Subject: x\n\n{{ no_such_field }}",
        )
        .unwrap();
        let broken = NotificationsConfig {
            templates_dir: Some(dir.clone()),
            ..config()
        };
        let err = Renderer::new(&broken, "https://c.example").err().unwrap();
        assert!(format!("{err:#}").contains("reminder_1h.txt"), "{err:#}");
        std::fs::write(dir.join("reminder_1h.txt"), "no subject line").unwrap();
        let err = Renderer::new(&broken, "https://c.example").err().unwrap();
        assert!(format!("{err:#}").contains("Subject"), "{err:#}");
        std::fs::write(
            dir.join("reminder_1h.txt"),
            "Subject: Em 1 hora\n\nOlá {{ recipient_name }}",
        )
        .unwrap();
        let translated = Renderer::new(&broken, "https://c.example").unwrap();
        let email = translated
            .email(Stage::Reminder1h, &translated.sample_fields())
            .unwrap();
        assert_eq!(email.subject, "Em 1 hora");
        assert_eq!(email.text, "Olá Sample Patient");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_locales_and_formats_are_refused() {
        let mut bad = config();
        bad.locale = "xx_YY".into();
        assert!(check_formats(&bad).unwrap_err().contains("xx_YY"));
        let mut bad = config();
        bad.time_format = "%Q".into();
        assert!(check_formats(&bad).unwrap_err().contains("time_format"));
    }
}

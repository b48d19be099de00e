//! Booking confirmations and reminders (24 h, 1 h, 15 min before) by email
//! and WhatsApp — never lost, never doubled.
//!
//! Layout, in the order a message travels:
//! - [`plan`]: when an appointment is booked, rescheduled or cancelled, the
//!   rows it owes are written to the outbox *in the same transaction* as the
//!   change, so a committed booking always has its messages.
//! - [`outbox`]: the `notifications` table as a queue ([`ReminderOutbox`]):
//!   due rows are claimed with a lease (`FOR UPDATE SKIP LOCKED` on
//!   PostgreSQL), and every outcome is written back under that lease.
//! - [`dispatch`]: the loop that claims, decides (still useful? superseded?),
//!   renders and sends, a bounded number at once.
//! - [`render`]: the message texts, templates a clinic can change and
//!   translate, with dates in the recipient's own time zone; [`ics`]: the
//!   calendar invite (iMIP) that goes with confirmations and changes.
//! - [`email`] (lettre over SMTP, through [`smtp_pool`]) and [`whatsapp`]
//!   (Meta's Cloud API): the
//!   providers. Without either configured, messages land in the dev outbox
//!   (stored, listed at `/api/notifications/`, logged).
//! - [`account_mail`]: e-mail about an account (the password reset link),
//!   a job of the same durable queue, sent through the same providers.
//! - [`config`]: the `[notifications]` section; [`kinds`]: stages,
//!   channels and send errors.
//!
//! Never lost: a row leaves `pending`/`sending` only by an outcome recorded
//! under its lease, and an expired lease (a process killed mid-send) makes
//! it claimable again. Never doubled: one live lease per row; the one window
//! left — the provider accepted, the process died before the commit — can
//! repeat at most the messages in flight, and each email carries a
//! Message-ID fixed per row so mail clients fold such a repeat.

pub mod account_mail;
pub mod config;
pub mod dispatch;
pub mod email;
pub mod ics;
pub mod kinds;
pub mod outbox;
pub mod plan;
pub mod render;
pub mod smtp_pool;
pub mod whatsapp;

pub use config::NotificationsConfig;
pub use kinds::{Channel, SendError, Stage};
pub use outbox::ReminderOutbox;

//! The calendar invite sent with confirmations and changes (iMIP, RFC 6047):
//! one VEVENT whose UID is fixed per appointment, so a calendar updates the
//! same entry when SEQUENCE grows (reschedule) and removes it on CANCEL.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A new or changed appointment.
    Request,
    /// A cancelled one.
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// What the invite says.
pub struct Invite<'a> {
    pub method: Method,
    /// Fixed per appointment: `appointment-{id}@{host}`.
    pub uid: &'a str,
    /// The appointment's revision (bumped on every reschedule and cancel).
    pub sequence: u32,
    pub stamp: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: &'a str,
    /// The video link: URL and LOCATION both.
    pub link: &'a str,
    pub organizer_name: &'a str,
    pub organizer_email: &'a str,
    pub attendee_name: &'a str,
    pub attendee_email: &'a str,
}

impl Invite<'_> {
    /// The iCalendar text (CRLF lines, folded at 75 octets by the crate).
    pub fn to_ics(&self) -> String {
        let mut event = Event::with_uid(self.uid);
        event
            .sequence(self.sequence)
            .timestamp(self.stamp)
            .starts(self.starts_at)
            .ends(self.ends_at)
            .summary(self.summary)
            .url(self.link)
            .location(self.link)
            .status(match self.method {
                Method::Request => EventStatus::Confirmed,
                Method::Cancel => EventStatus::Cancelled,
            })
            .append_property(
                Property::new("ORGANIZER", format!("mailto:{}", self.organizer_email))
                    .add_parameter("CN", self.organizer_name)
                    .done(),
            )
            .append_property(
                Property::new("ATTENDEE", format!("mailto:{}", self.attendee_email))
                    .add_parameter("CN", self.attendee_name)
                    .add_parameter("ROLE", "REQ-PARTICIPANT")
                    .add_parameter("PARTSTAT", "NEEDS-ACTION")
                    .add_parameter("RSVP", "FALSE")
                    .done(),
            );
        let mut calendar = Calendar::new();
        calendar
            .append_property(Property::new("METHOD", self.method.as_str()))
            .push(event.done());
        calendar.done().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn unfolded(ics: &str) -> Vec<String> {
        ics.replace("\r\n ", "")
            .split("\r\n")
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn a_cancel_keeps_the_uid_and_carries_its_sequence() {
        let start = Utc.with_ymd_and_hms(2030, 3, 5, 14, 0, 0).unwrap();
        let invite = Invite {
            method: Method::Cancel,
            uid: "appointment-7@clinic.example",
            sequence: 2,
            stamp: start,
            starts_at: start,
            ends_at: start + chrono::Duration::minutes(50),
            summary: "Video appointment with Dr. Smith",
            link: "https://clinic.example/video-session/apt-7-abc",
            organizer_name: "Clinic",
            organizer_email: "reminders@clinic.example",
            attendee_name: "Pat",
            attendee_email: "pat@example.com",
        };
        let lines = unfolded(&invite.to_ics());
        for expected in [
            "METHOD:CANCEL",
            "UID:appointment-7@clinic.example",
            "SEQUENCE:2",
            "DTSTART:20300305T140000Z",
            "DTEND:20300305T145000Z",
            "STATUS:CANCELLED",
            "URL:https://clinic.example/video-session/apt-7-abc",
        ] {
            assert!(
                lines.iter().any(|l| l == expected),
                "{expected} in {lines:?}"
            );
        }
        assert!(lines.iter().any(
            |l| l.starts_with("ORGANIZER;") && l.ends_with(":mailto:reminders@clinic.example")
        ));
        assert!(
            invite.to_ics().split("\r\n").all(|l| l.len() <= 75),
            "folded"
        );
    }
}

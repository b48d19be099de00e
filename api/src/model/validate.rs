//! Field checks shared by the resources, each returning what is wrong in
//! words a person can act on.

use std::str::FromStr;

use chrono::{DateTime, Utc};

pub fn email(value: &str) -> Result<String, String> {
    let email = value.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err("must be an email address".into())
    }
}

pub fn name(value: &str) -> Result<String, String> {
    let name = value.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err("must be 1 to 200 characters".into());
    }
    if name.chars().any(is_direction_control) {
        return Err("must not contain text-direction controls".into());
    }
    if name.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
        return Err("must contain visible characters".into());
    }
    Ok(name.to_owned())
}

/// Characters that render as nothing: zero-width space, non-joiner and
/// joiner, direction marks, word joiner and invisible operators, byte-order
/// mark, soft hyphen, Mongolian vowel separator. Fine inside a name (emoji
/// and several scripts need the joiners), not as the whole of one: a blank
/// name in a reminder or on the call screen tells nobody who is there.
/// (Listed by hand: the Unicode tables would be a crate for ten code points.)
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

/// Embeddings, overrides and isolates reorder the text around them, so a
/// name could display as something else in an e-mail or a list.
fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// E.164: `+`, then 7 to 15 digits, not starting with 0.
pub fn phone(value: &str) -> Result<String, String> {
    let digits = value.strip_prefix('+').unwrap_or("");
    let valid = (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if valid {
        Ok(value.to_owned())
    } else {
        Err("must be in E.164 form, like +14155550123".into())
    }
}

pub fn time_zone(value: &str) -> Result<String, String> {
    chrono_tz::Tz::from_str(value)
        .map(|tz| tz.name().to_owned())
        .map_err(|_| "must be an IANA time zone, like Europe/Lisbon".into())
}

pub fn password(value: &str) -> Result<String, String> {
    let length = value.chars().count();
    if length < crate::auth::password::MIN_LENGTH {
        return Err(format!(
            "must be at least {} characters",
            crate::auth::password::MIN_LENGTH
        ));
    }
    if length > 1024 {
        return Err("is too long".into());
    }
    Ok(value.to_owned())
}

/// RFC 3339 with an offset, within a sane range.
pub fn instant(value: &str) -> Result<DateTime<Utc>, String> {
    let parsed = DateTime::parse_from_rfc3339(value)
        .map_err(|_| {
            "must be an RFC 3339 date and time with an offset, like 2025-11-15T11:00:00Z".to_owned()
        })?
        .with_timezone(&Utc);
    if !(2000..=2200).contains(&chrono::Datelike::year(&parsed)) {
        return Err("is not a plausible date".into());
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_good_values_and_explains_bad_ones() {
        assert_eq!(email(" Pat@Example.COM ").unwrap(), "pat@example.com");
        for bad in [
            "",
            "pat",
            "pat@",
            "@x.com",
            "pat@example",
            "pa t@example.com",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
        assert!(phone("+14155550123").is_ok());
        for bad in ["14155550123", "+0123456789", "+1-415-555", "+1234"] {
            assert!(phone(bad).is_err(), "{bad}");
        }
        assert_eq!(time_zone("Europe/Lisbon").unwrap(), "Europe/Lisbon");
        assert!(time_zone("Mars/Olympus").is_err());
        assert!(instant("2025-11-15T11:00:00-03:00").is_ok());
        assert!(instant("2025-11-15 11:00").is_err());
        assert!(instant("9999-01-01T00:00:00Z").is_err());
        assert!(password("short").is_err());
        assert!(name("   ").is_err());
        assert!(name("\u{200B}\u{FEFF} \u{200D}").is_err());
        assert!(name("Ana \u{202E}nomis").is_err());
        assert_eq!(name("👩\u{200D}⚕️ Ana").unwrap(), "👩\u{200D}⚕️ Ana");
    }
}

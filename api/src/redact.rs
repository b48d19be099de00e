//! Logs name no patients: e-mail addresses in an error's text (an SMTP
//! server's "550 <pat@example.com>: no such user", a database's "Key
//! (email)=(…) already exists") are replaced before the text is logged.
//! The admin's outbox still shows the full error; logs travel further.

/// `text` with every word that looks like an e-mail address replaced.
pub fn addresses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if looks_like_address(word) {
            out.push_str("<address>");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() || "<>\"'(),;=[]{}".contains(c) {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn looks_like_address(word: &str) -> bool {
    word.split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_are_replaced_and_the_rest_kept() {
        assert_eq!(
            super::addresses("SMTP: 550 <pat@example.com>: no such user"),
            "SMTP: 550 <<address>>: no such user"
        );
        assert_eq!(
            super::addresses("Key (email)=(Zoë.x+1@clinic.example) already exists"),
            "Key (email)=(<address>) already exists"
        );
        assert_eq!(
            super::addresses("timed out after 10 s"),
            "timed out after 10 s"
        );
    }
}

//! Shortened forms of personal data for log fields: enough to correlate, not enough to
//! identify. Use these in every `tracing` field that would otherwise hold a phone or an email.

/// `+14155550132` -> `+1415***32`: the first 5 characters and the last 2; short or odd input
/// gives `***`.
pub fn phone(raw: &str) -> String {
    let chars: Vec<char> = raw.trim().chars().filter(|c| !c.is_whitespace()).collect();
    if chars.len() < 9 {
        return "***".to_owned();
    }
    let head: String = chars[..5].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}***{tail}")
}

/// `ana@example.com` -> `a***@example.com`; no `@` gives `***`.
pub fn email(raw: &str) -> String {
    match raw.trim().rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        _ => "***".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn phone_keeps_prefix_and_last_two_digits() {
        assert_eq!(phone("+14155550132"), "+1415***32");
        assert_eq!(phone("+33 6 12 34 56 78"), "+3361***78");
        assert_eq!(phone("12345"), "***");
        assert_eq!(phone(""), "***");
    }

    #[test]
    fn email_keeps_first_letter_and_domain() {
        assert_eq!(email("ana@example.com"), "a***@example.com");
        assert_eq!(email("Ünal@example.com"), "Ü***@example.com");
        assert_eq!(email("nope"), "***");
        assert_eq!(email("@example.com"), "***");
    }

    proptest! {
        #[test]
        fn redaction_never_panics_and_hides_the_middle(raw in "\\PC{0,40}") {
            let p = phone(&raw);
            let e = email(&raw);
            prop_assert!(p.contains("***"));
            prop_assert!(e.contains("***"));
        }
    }
}

//! Security: a scanner for log lines, used on every line the chaos run's processes write (stderr
//! captured with `MEETFLOW_LOG_FORMAT=json`). A line must not contain a secret the test
//! configured, a full phone number of a test invitee (E.164, the digits alone, or the formatted
//! `+1 415-555-0132` / `(415) 555-0132` forms), or a full e-mail address of a test invitee.
//! Masked forms (`+1415•••0132`, `j•••@example.com`) are fine: they are what the services log.

use std::collections::HashSet;
use std::path::Path;

/// One forbidden value found in a log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    /// Which file (or source) and line number.
    pub(crate) place: String,
    /// What kind of value (`secret:brevo.api_key`, `phone`, `email`), never the value itself.
    pub(crate) what: String,
}

/// What a scan read and found.
#[derive(Debug, Default)]
pub(crate) struct ScanReport {
    /// Lines read.
    pub(crate) lines: usize,
    /// Lines that were JSON objects (the services' log format).
    pub(crate) json_lines: usize,
    /// Forbidden values found.
    pub(crate) findings: Vec<Finding>,
}

/// The values no log line may contain. Lines are read once each: secrets by substring, e-mail
/// addresses and phone numbers by extracting every candidate token and looking it up, so the
/// cost does not grow with the number of invitees.
#[derive(Debug, Default, Clone)]
pub(crate) struct LogScan {
    secrets: Vec<(String, String)>,
    /// National significant numbers (ten digits) of the +1 numbers.
    phones: HashSet<String>,
    /// Lower-cased addresses.
    emails: HashSet<String>,
}

impl LogScan {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A secret (a key, a token, a password): forbidden verbatim. Values shorter than 6
    /// characters are refused, since they would match by chance.
    pub(crate) fn secret(&mut self, label: &str, value: &str) -> &mut Self {
        assert!(value.len() >= 6, "secret {label} too short to scan for");
        self.secrets
            .push((format!("secret:{label}"), value.to_owned()));
        self
    }

    /// A North American phone number in E.164 (`+1NXXNXXXXXX`): forbidden in any writing whose
    /// digits are its ten digits, with or without the country code (`+14155550132`,
    /// `+1 415-555-0132`, `(415) 555-0132`, `415.555.0132`, `14155550132`, ...), unless they
    /// are part of a longer number.
    pub(crate) fn phone(&mut self, e164: &str) -> &mut Self {
        let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
        let national = digits.strip_prefix('1').unwrap_or(&digits).to_owned();
        assert_eq!(national.len(), 10, "{e164} is not a +1 number");
        self.phones.insert(national);
        self
    }

    /// An e-mail address: forbidden in any letter case.
    pub(crate) fn email(&mut self, email: &str) -> &mut Self {
        self.emails.insert(email.to_lowercase());
        self
    }

    /// Findings in one line.
    pub(crate) fn line(&self, place: &str, line: &str) -> Vec<Finding> {
        let mut found: Vec<String> = self
            .secrets
            .iter()
            .filter(|(_, v)| line.contains(v.as_str()))
            .map(|(label, _)| label.clone())
            .collect();
        if email_tokens(line).any(|t| self.emails.contains(&t)) {
            found.push("email".into());
        }
        if number_tokens(line).any(|d| {
            let national = if d.len() == 11 {
                d.strip_prefix('1')
            } else {
                Some(d.as_str())
            };
            national.is_some_and(|n| self.phones.contains(n))
        }) {
            found.push("phone".into());
        }
        found
            .into_iter()
            .map(|what| Finding {
                place: place.to_owned(),
                what,
            })
            .collect()
    }

    /// Scans every line of `text`.
    pub(crate) fn text(&self, source: &str, text: &str, report: &mut ScanReport) {
        for (i, line) in text.lines().enumerate() {
            report.lines += 1;
            if line.trim_start().starts_with('{')
                && serde_json::from_str::<serde_json::Value>(line).is_ok()
            {
                report.json_lines += 1;
            }
            report
                .findings
                .extend(self.line(&format!("{source}:{}", i + 1), line));
        }
    }

    /// Scans every file in `dir` (not recursive).
    pub(crate) fn dir(&self, dir: &Path) -> ScanReport {
        let mut report = ScanReport::default();
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        for path in files.iter().filter(|p| p.is_file()) {
            let bytes = std::fs::read(path).unwrap_or_default();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            self.text(&name, &String::from_utf8_lossy(&bytes), &mut report);
        }
        report
    }
}

/// Every e-mail-looking token of `line` (around each `@`), lower-cased.
fn email_tokens(line: &str) -> impl Iterator<Item = String> + '_ {
    let is_part = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    line.match_indices('@').map(move |(at, _)| {
        let local = line[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_part(*c))
            .last()
            .map_or(at, |(i, _)| i);
        let end = line[at + 1..]
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || ".-".contains(*c)))
            .map_or(line.len(), |(i, _)| at + 1 + i);
        line[local..end].trim_end_matches('.').to_lowercase()
    })
}

/// The digits of every run of number-writing characters (digits, `+`, `-`, `.`, `(`, `)`,
/// space) in `line`.
fn number_tokens(line: &str) -> impl Iterator<Item = String> + '_ {
    line.split(|c: char| !(c.is_ascii_digit() || "+-.() ".contains(c)))
        .map(|run| run.chars().filter(char::is_ascii_digit).collect::<String>())
        .filter(|d| d.len() == 10 || d.len() == 11)
}

#[test]
fn the_scanner_finds_each_kind_of_leak_and_passes_masked_values() {
    let mut scan = LogScan::new();
    scan.secret("brevo.api_key", "xkeysib-abc123")
        .phone("+14155550132")
        .email("Jordan.Rivera@example.com");
    let leaks = [
        r#"{"msg":"calling","key":"xkeysib-abc123"}"#,
        r#"{"to":"+14155550132"}"#,
        r#"{"raw":"+1 415-555-0132"}"#,
        r#"{"n":"(415) 555-0132"}"#,
        r#"{"n":"14155550132"}"#,
        r#"{"email":"JORDAN.RIVERA@EXAMPLE.COM"}"#,
    ];
    for l in leaks {
        assert_eq!(scan.line("t", l).len(), 1, "{l}");
    }
    let clean = [
        r#"{"to":"+1415•••0132","email":"j•••@example.com"}"#,
        r#"{"ts_ms":"17672256004155550132999"}"#,
        r#"{"msg":"SMS handled","booking":"9cbca8f8"}"#,
    ];
    for l in clean {
        assert!(scan.line("t", l).is_empty(), "{l}");
    }
    let mut report = ScanReport::default();
    scan.text("t", &leaks.join("\n"), &mut report);
    assert_eq!(
        (report.lines, report.json_lines, report.findings.len()),
        (6, 6, 6)
    );
}

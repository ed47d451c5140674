//! Security: a scanner for log lines, used on every line the chaos run's processes write (stderr
//! captured with `MEETFLOW_LOG_FORMAT=json`). A line must not contain a secret the test
//! configured, a full phone number of a test invitee (E.164, the digits alone, or the formatted
//! `+1 415-555-0132` / `(415) 555-0132` forms), or a full e-mail address of a test invitee.
//! Masked forms (`+1415•••0132`, `j•••@example.com`) are fine: they are what the services log.

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

/// The values no log line may contain.
#[derive(Debug, Default, Clone)]
pub(crate) struct LogScan {
    /// `(label, needle, digits_only)`: digit needles must not touch other digits.
    needles: Vec<(String, String, bool)>,
}

impl LogScan {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A secret (a key, a token, a password): forbidden verbatim. Values shorter than 6
    /// characters are refused, since they would match by chance.
    pub(crate) fn secret(&mut self, label: &str, value: &str) -> &mut Self {
        assert!(value.len() >= 6, "secret {label} too short to scan for");
        self.needles
            .push((format!("secret:{label}"), value.to_owned(), false));
        self
    }

    /// A North American phone number in E.164 (`+1NXXNXXXXXX`): forbidden as E.164, as its
    /// digits, and in the usual national and international formats.
    pub(crate) fn phone(&mut self, e164: &str) -> &mut Self {
        let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
        let national = digits.strip_prefix('1').unwrap_or(&digits).to_owned();
        assert_eq!(national.len(), 10, "{e164} is not a +1 number");
        let (a, b, c) = (&national[..3], &national[3..6], &national[6..]);
        for form in [
            e164.to_owned(),
            format!("+1 {a}-{b}-{c}"),
            format!("+1 ({a}) {b}-{c}"),
            format!("({a}) {b}-{c}"),
            format!("{a}-{b}-{c}"),
            format!("{a} {b} {c}"),
            format!("{a}.{b}.{c}"),
        ] {
            self.needles.push(("phone".into(), form, false));
        }
        // The digits anywhere, with or without the country code, unless part of a longer number.
        self.needles
            .push(("phone".into(), format!("1{national}"), true));
        self.needles.push(("phone".into(), national, true));
        self
    }

    /// An e-mail address: forbidden in any letter case.
    pub(crate) fn email(&mut self, email: &str) -> &mut Self {
        self.needles
            .push(("email".into(), email.to_lowercase(), false));
        self
    }

    /// Findings in one line.
    pub(crate) fn line(&self, place: &str, line: &str) -> Vec<Finding> {
        let lower = line.to_lowercase();
        let mut out = Vec::new();
        for (label, needle, digits) in &self.needles {
            let hay = if label == "email" { &lower } else { line };
            let hit = if *digits {
                contains_number(hay, needle)
            } else {
                hay.contains(needle.as_str())
            };
            if hit && !out.iter().any(|f: &Finding| &f.what == label) {
                out.push(Finding {
                    place: place.to_owned(),
                    what: label.clone(),
                });
            }
        }
        out
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

/// `needle` (digits) occurs in `hay` with no digit right before or after it.
fn contains_number(hay: &str, needle: &str) -> bool {
    let bytes = hay.as_bytes();
    hay.match_indices(needle).any(|(at, _)| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + needle.len()).copied();
        !before.is_some_and(|b| b.is_ascii_digit()) && !after.is_some_and(|b| b.is_ascii_digit())
    })
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

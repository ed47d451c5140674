//! Why a webhook body could not be read as an event.
//!
//! Every variant is permanent: reading the same bytes again gives the same answer, so a worker
//! dead-letters the job instead of retrying it. Messages name a JSON path and a category but never
//! echo a value from the body (bodies carry names, emails and phone numbers).

/// A webhook body that is not the event it claims to be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The bytes are not JSON at all (or not UTF-8).
    #[error("body is not valid JSON (line {line}, column {column})")]
    Syntax {
        /// 1-based line of the first error.
        line: usize,
        /// 1-based column of the first error.
        column: usize,
    },
    /// The body is JSON but not an object.
    #[error("body is not a JSON object")]
    NotAnObject,
    /// The envelope has no usable `event` name.
    #[error("body has no event name")]
    MissingEventName,
    /// The event is known but a field has the wrong type or a required field is missing.
    #[error("{event}: `{path}` {problem}")]
    Shape {
        /// Event name from the envelope (at most 64 characters).
        event: String,
        /// JSON path of the offending field, e.g. `payload.scheduled_event.start_time`.
        path: String,
        /// What is wrong, without the value: `is missing field \`uri\``, `has an invalid value`.
        problem: String,
    },
}

impl EventError {
    /// Short label for metrics and dead-letter listings.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Syntax { .. } => "syntax",
            Self::NotAnObject => "not_an_object",
            Self::MissingEventName => "missing_event_name",
            Self::Shape { .. } => "shape",
        }
    }

    /// Fails unless `body` is a JSON object at the top level (serde's derived structs would also
    /// accept an array, reading its items as the fields in order).
    pub(crate) fn require_object(body: &[u8]) -> Result<(), Self> {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'{') {
            return Ok(());
        }
        match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Ok(_) => Err(Self::NotAnObject),
            Err(e) => Err(Self::Syntax {
                line: e.line(),
                column: e.column(),
            }),
        }
    }

    /// Maps a serde_json error met while reading the envelope head of an object. The head's fields
    /// accept any value, so the only data error left is a key given twice.
    pub(crate) fn from_head(err: &serde_json::Error) -> Self {
        match err.classify() {
            serde_json::error::Category::Data => Self::Shape {
                event: "envelope".to_owned(),
                path: "$".to_owned(),
                problem: "repeats a field".to_owned(),
            },
            _ => Self::Syntax {
                line: err.line(),
                column: err.column(),
            },
        }
    }

    /// Reads the envelope `H` of a webhook body and its `event` name (taken from the envelope by
    /// `event`), which must be present and not blank.
    pub(crate) fn read_envelope<H: serde::de::DeserializeOwned>(
        body: &[u8],
        event: impl FnOnce(&H) -> Option<&String>,
    ) -> Result<(H, String), Self> {
        Self::require_object(body)?;
        let head: H = serde_json::from_slice(body).map_err(|e| Self::from_head(&e))?;
        let name = event(&head)
            .filter(|e| !e.trim().is_empty())
            .cloned()
            .ok_or(Self::MissingEventName)?;
        Ok((head, name))
    }

    /// Maps an error met while reading the typed body of a known event.
    pub(crate) fn shape(event: &str, err: &serde_path_to_error::Error<serde_json::Error>) -> Self {
        let inner = err.inner();
        if !matches!(inner.classify(), serde_json::error::Category::Data) {
            return Self::Syntax {
                line: inner.line(),
                column: inner.column(),
            };
        }
        let message = inner.to_string();
        // `missing field `x`` names a field, not a value: safe to keep. Anything else may quote
        // the offending value, so it is reduced to a category.
        let problem = match message.split(" at line ").next() {
            Some(m) if m.starts_with("missing field") => format!("is {m}"),
            _ => "has an invalid value".to_owned(),
        };
        Self::Shape {
            event: bounded(event),
            path: err.path().to_string(),
            problem,
        }
    }
}

/// Cuts provider-controlled text to 64 characters for error messages and labels.
pub(crate) fn bounded(text: &str) -> String {
    text.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_errors_never_quote_the_offending_value() {
        let body = br#"{"payload":{"email":{"secret":"x"},"uri":"jordan@example.com"}}"#;
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct P {
            uri: u64,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct E {
            payload: P,
        }
        let de = &mut serde_json::Deserializer::from_slice(body);
        let err = serde_path_to_error::deserialize::<_, E>(de).expect_err("uri is not a number");
        let err = EventError::shape("invitee.created", &err);
        let text = err.to_string();
        assert!(!text.contains("jordan"), "{text}");
        assert_eq!(text, "invitee.created: `payload.uri` has an invalid value");
    }

    #[test]
    fn bounded_cuts_long_names_on_char_boundaries() {
        let long = "é".repeat(100);
        assert_eq!(bounded(&long).chars().count(), 64);
    }
}

//! HTTP plumbing shared by the provider clients: building the one `reqwest::Client` each client
//! owns (timeouts, no redirects, rustls with ring), sending a request and reading the whole body
//! under that timeout, turning transport failures into classified [`ProviderError`]s, and
//! building URLs from pre-encoded path segments (Brevo wants e-mails encoded, Zoom sometimes
//! wants UUIDs encoded twice, so `Url::join` is not enough).

use std::time::Duration;

use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use super::error::{Provider, ProviderError, sanitize_message};
use super::retry::{Observed, Outcome, TransportFailure, classify, wait_hint};
use crate::domain::ErrorClass;
use crate::telemetry::trace_context;

/// Longest time spent connecting, whatever the overall timeout.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds a client whose every call is bounded by `timeout` (connect, send, and reading the
/// body) and whose connect phase is bounded by `min(timeout, 10 s)`.
pub(crate) fn build_client(
    provider: Provider,
    timeout: Duration,
) -> Result<reqwest::Client, ProviderError> {
    crate::tls::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(MAX_CONNECT_TIMEOUT))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("meetflow/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            ProviderError::new(
                provider,
                "build http client",
                ErrorClass::Config,
                describe(&e),
            )
        })
}

/// A fully read response.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Response {
    /// Whether the status is 2xx.
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Decodes a JSON success body. A body we cannot read after a 2xx means the provider did
    /// act on the request: the error is a retryable provider failure flagged `ambiguous`.
    pub(crate) fn json<T: DeserializeOwned>(
        &self,
        provider: Provider,
        operation: &'static str,
    ) -> Result<T, ProviderError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ProviderError::new(
                provider,
                operation,
                ErrorClass::ProviderServer,
                format!("unexpected response body: {e}"),
            )
            .with_status(self.status)
            .with_ambiguous(true)
        })
    }
}

/// Sends `request` and reads the whole body; transport failures come back classified.
/// Records `meetflow_provider_request_duration_seconds{provider, operation}` and
/// `meetflow_provider_requests_total{provider, operation, outcome}` (outcome = HTTP status or
/// the error class of a transport failure).
pub(crate) async fn execute(
    provider: Provider,
    operation: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<Response, ProviderError> {
    let started = std::time::Instant::now();
    // The client span of the call. Only the method and the host are recorded: paths and query
    // strings may hold an e-mail or a phone number.
    let span = tracing::info_span!(
        "provider call",
        otel.name = %format!("{} {operation}", provider.as_str()),
        otel.kind = "client",
        provider = provider.as_str(),
        operation,
        http.request.method = tracing::field::Empty,
        server.address = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
    );
    let result = send(provider, operation, request)
        .instrument(span.clone())
        .await;
    if let Ok(r) = &result {
        span.record("http.response.status_code", r.status);
    }
    let outcome = match &result {
        Ok(r) => r.status.to_string(),
        Err(e) => e.class.as_str().to_owned(),
    };
    let (p, o) = (provider.as_str(), operation);
    metrics::histogram!("meetflow_provider_request_duration_seconds", "provider" => p, "operation" => o)
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("meetflow_provider_requests_total", "provider" => p, "operation" => o, "outcome" => outcome)
        .increment(1);
    result
}

async fn send(
    provider: Provider,
    operation: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<Response, ProviderError> {
    let transport = |e: reqwest::Error| transport_error(provider, operation, &e);
    let (client, request) = request.build_split();
    let mut request = request.map_err(transport)?;
    let span = tracing::Span::current();
    span.record("http.request.method", request.method().as_str());
    if let Some(host) = request.url().host_str() {
        span.record("server.address", host);
    }
    trace_context::inject_headers(request.headers_mut());
    let resp = client.execute(request).await.map_err(transport)?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.map_err(transport)?;
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// A transport failure as a classified error. The URL is never included (it may hold an e-mail).
pub(crate) fn transport_error(
    provider: Provider,
    operation: &'static str,
    e: &reqwest::Error,
) -> ProviderError {
    let verdict = classify(Observed::Transport(TransportFailure::of(e)), None);
    let class = verdict.class.unwrap_or(ErrorClass::Transport);
    ProviderError::new(provider, operation, class, describe(e)).with_ambiguous(verdict.ambiguous)
}

/// Describes a reqwest error by its kind and source chain, without the URL.
fn describe(e: &reqwest::Error) -> String {
    let kind = match TransportFailure::of(e) {
        TransportFailure::Connect => "connect failed",
        TransportFailure::Timeout => "timed out",
        TransportFailure::Interrupted => "connection failed after sending",
        TransportFailure::Build => "request could not be built",
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    sanitize_message(&text)
}

/// An error for a non-2xx answer, classified by the HTTP table in [`super::retry`], with the
/// provider's wait hint read from `hint_headers`. `code` and `message` come from the body.
pub(crate) fn status_error(
    provider: Provider,
    operation: &'static str,
    resp: &Response,
    code: Option<String>,
    message: &str,
    hint_headers: &[&str],
) -> ProviderError {
    let verdict = classify(
        Observed::Status(resp.status),
        wait_hint(&resp.headers, hint_headers),
    );
    let class = verdict.class.unwrap_or(ErrorClass::ProviderRejected);
    let mut e = ProviderError::new(provider, operation, class, sanitize_message(message))
        .with_status(resp.status)
        .with_ambiguous(verdict.ambiguous);
    if let Outcome::Retry {
        after,
        consume_attempt,
    } = verdict.outcome
    {
        e.retry_after = after;
        e.consume_attempt = consume_attempt;
    }
    e.code = code;
    if rejects_credentials(resp.status, e.code.as_deref()) {
        credential_failure(provider);
    }
    e
}

/// Whether an error answer says the credentials are wrong: 401/403 from any provider, or the
/// OAuth error `invalid_client` whatever the status (Zoom's token endpoint answers it with 400).
pub(crate) fn rejects_credentials(status: u16, code: Option<&str>) -> bool {
    matches!(status, 401 | 403) || code == Some("invalid_client")
}

/// Counts one call refused for credentials:
/// `meetflow_provider_credential_failures_total{provider}` (registered at 0 for every provider
/// when the recorder is installed, so the first failure shows as an increase).
pub(crate) fn credential_failure(provider: Provider) {
    metrics::counter!(CREDENTIAL_FAILURES, "provider" => provider.as_str()).increment(1);
}

/// The counter of calls refused for credentials.
pub(crate) const CREDENTIAL_FAILURES: &str = "meetflow_provider_credential_failures_total";

/// Characters left as-is in a path segment: RFC 3986 unreserved (`A-Z a-z 0-9 - . _ ~`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment (`/`, `@`, `+`, `=` ... all encoded).
pub(crate) fn encode_segment(raw: &str) -> String {
    utf8_percent_encode(raw, SEGMENT).to_string()
}

/// `base` with `segments` (already percent-encoded) appended to its path. Keeps the base's own
/// path (`https://api.brevo.com/v3` + `contacts` = `/v3/contacts`), unlike `Url::join`.
pub(crate) fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    let mut path = base.path().trim_end_matches('/').to_owned();
    for s in segments {
        path.push('/');
        path.push_str(s);
    }
    url.set_path(&path);
    url.set_query(None);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_keeps_the_base_path_and_pre_encoded_segments() {
        let base = Url::parse("https://api.brevo.com/v3").expect("url");
        let email = encode_segment("a+b@example.com");
        let url = endpoint(&base, &["contacts", &email]);
        assert_eq!(
            url.as_str(),
            "https://api.brevo.com/v3/contacts/a%2Bb%40example.com"
        );

        let base = Url::parse("http://127.0.0.1:9/v2/").expect("url");
        let twice = encode_segment(&encode_segment("/gyQ0iJUTHqdr7Ft1cSm0w=="));
        let url = endpoint(&base, &["past_meetings", &twice, "participants"]);
        assert_eq!(
            url.path(),
            "/v2/past_meetings/%252FgyQ0iJUTHqdr7Ft1cSm0w%253D%253D/participants"
        );
    }
}

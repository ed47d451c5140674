//! Fake Zoom (docs/providers.md §2.8 points 4-6): Server-to-Server OAuth
//! (`POST /oauth/token`), bearer-token checks (401 code 124), `GET /v2/users/me`,
//! past-meeting and past-webinar participants and webinar registrants with opaque page
//! tokens, the account's users, ended meetings and webinars (report) and cloud recordings
//! (`admin/src/sandbox/zoom/history.rs`), the double-encoding rule and a per-second budget answering 429 with Zoom's
//! message. One server serves both the OAuth host and the API host.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use serde_json::{Value, json};

use super::common::{
    Faults, RecordedRequest, Server, Window, json as json_resp, lock, record, set_header,
};
use meetflow_admin::sandbox::zoom::{Meetings, history as zoom_history, webinars};

const ACCOUNT_ID: &str = "Xq7bL2mRTy6nW0pK4sUe9A";
const CLIENT_ID: &str = "fakeZoomClientId01";
const CLIENT_SECRET: &str = "fakeZoomClientSecret0123456789ab";
/// Zoom's OAuth error for bad client credentials (400, `error: invalid_client`).
const INVALID_CLIENT: &str =
    r#"{"error":"invalid_client","reason":"Invalid client_id or client_secret"}"#;
/// The fields of Zoom's S2S token response besides the token and its lifetime, set per request.
const TOKEN_RESPONSE: &str = r#"{"token_type":"bearer","scope":"meeting:read:list_past_participants:admin meeting:read:meeting:admin cloud_recording:read:list_recording_files:admin","api_url":"https://api.zoom.us"}"#;

#[derive(Debug)]
struct Inner {
    log: Vec<RecordedRequest>,
    faults: Faults,
    token_ttl: Duration,
    tokens: HashMap<String, Instant>,
    token_requests: usize,
    window: Option<Window>,
    /// Until when every API call gets the daily-limit 429.
    daily_limit_until: Option<chrono::DateTime<chrono::Utc>>,
    /// How many more participant-list calls answer 404 code 3001 (the report is not ready).
    report_pending: usize,
    /// (path prefix, scope): calls under the prefix answer Zoom's missing-scope 400 (code 4711).
    missing_scopes: Vec<(String, String)>,
    meetings: Meetings,
}

type Shared = Arc<Mutex<Inner>>;

/// A fake Zoom OAuth + REST API server.
#[derive(Debug)]
pub struct FakeZoom {
    shared: Shared,
    server: Server,
}

impl FakeZoom {
    /// Start on 127.0.0.1 with a free port; tokens live 3600 s, no rate limit.
    pub async fn start() -> anyhow::Result<Self> {
        let shared = Arc::new(Mutex::new(Inner {
            log: Vec::new(),
            faults: Faults::default(),
            token_ttl: Duration::from_secs(3600),
            tokens: HashMap::new(),
            token_requests: 0,
            window: None,
            daily_limit_until: None,
            report_pending: 0,
            missing_scopes: Vec::new(),
            meetings: Meetings::default(),
        }));
        let router = Router::new().fallback(handle).with_state(shared.clone());
        let server = Server::start(router).await?;
        Ok(Self { shared, server })
    }

    /// `connectors.zoom.oauth_base_url`: `http://127.0.0.1:PORT` (token at `/oauth/token`).
    pub fn oauth_base_url(&self) -> String {
        self.server.origin()
    }

    /// `connectors.zoom.api_base_url`: `http://127.0.0.1:PORT/v2`.
    pub fn api_base_url(&self) -> String {
        format!("{}/v2", self.server.origin())
    }

    /// The account id the fake expects.
    pub fn account_id(&self) -> String {
        ACCOUNT_ID.to_owned()
    }

    /// The client id the fake expects.
    pub fn client_id(&self) -> String {
        CLIENT_ID.to_owned()
    }

    /// The client secret the fake expects.
    pub fn client_secret(&self) -> String {
        CLIENT_SECRET.to_owned()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared).log.clone()
    }

    /// Lifetime of tokens issued from now on (`expires_in` = whole seconds, at least 1).
    pub fn set_token_ttl(&self, ttl: Duration) {
        lock(&self.shared).token_ttl = ttl;
    }

    /// Invalidate every issued token: API calls get 401 code 124 until a new token.
    pub fn revoke_all_tokens(&self) {
        lock(&self.shared).tokens.clear();
    }

    /// How many `POST /oauth/token` calls succeeded.
    pub fn token_requests(&self) -> usize {
        lock(&self.shared).token_requests
    }

    /// Seed a past meeting instance with participant rows (see [`FakeZoom::participant`]).
    pub fn add_past_meeting(&self, uuid: &str, participants: Vec<Value>) {
        lock(&self.shared).meetings.add(uuid, participants);
    }

    /// Seed `uuid` with the 3 rows of the fixture pages (Jordan Rivera joins twice).
    pub fn add_past_meeting_fixture(&self, uuid: &str) {
        lock(&self.shared)
            .meetings
            .add(uuid, meetflow_admin::sandbox::zoom::fixture_rows());
    }

    /// A participant row shaped like Zoom's (`duration` computed from the times).
    pub fn participant(name: &str, email: &str, join_time: &str, leave_time: &str) -> Value {
        meetflow_admin::sandbox::zoom::row(name, email, join_time, leave_time)
    }

    /// Seed webinar `webinar_id` with its registrants (see [`FakeZoom::registrant`]).
    pub fn add_webinar(&self, webinar_id: &str, registrants: Vec<Value>) {
        lock(&self.shared)
            .meetings
            .registrants
            .insert(webinar_id.to_owned(), registrants);
    }

    /// Seed a past webinar instance with participant rows (see [`FakeZoom::participant`]).
    pub fn add_past_webinar(&self, uuid: &str, participants: Vec<Value>) {
        lock(&self.shared)
            .meetings
            .webinar_rows
            .insert(uuid.to_owned(), participants);
    }

    /// An approved webinar registrant shaped like Zoom's.
    pub fn registrant(first_name: &str, last_name: &str, email: &str) -> Value {
        meetflow_admin::sandbox::zoom::registrant(first_name, last_name, email)
    }

    /// The id of the account's (first) user, whose history [`Self::add_ended`] and
    /// [`Self::add_recording`] seed.
    pub fn user_id(&self) -> String {
        zoom_history::USER_ID.to_owned()
    }

    /// Seed an ended meeting or webinar instance into the user's report (see
    /// [`Self::report_row`]).
    pub fn add_ended(&self, row: Value) {
        lock(&self.shared)
            .meetings
            .ended
            .entry(zoom_history::USER_ID.to_owned())
            .or_default()
            .push(row);
    }

    /// A row of `GET /report/users/{userId}/meetings` (`kind` 2 a meeting, 5 a webinar; times
    /// RFC 3339).
    pub fn report_row(
        uuid: &str,
        id: u64,
        kind: i64,
        topic: &str,
        start: &str,
        end: &str,
    ) -> Value {
        zoom_history::report_row(uuid, id, kind, topic, start, end)
    }

    /// Seed a cloud recording of the user (see [`Self::recording`]).
    pub fn add_recording(&self, row: Value) {
        lock(&self.shared)
            .meetings
            .recordings
            .entry(zoom_history::USER_ID.to_owned())
            .or_default()
            .push(row);
    }

    /// A row of `GET /users/{userId}/recordings`.
    pub fn recording(
        uuid: &str,
        id: u64,
        kind: i64,
        topic: &str,
        start: &str,
        share_url: &str,
        passcode: Option<&str>,
    ) -> Value {
        zoom_history::recording(uuid, id, kind, topic, start, share_url, passcode)
    }

    /// Answer 400 (code 300) to `page_size` > 300 (default) or clamp it to 300.
    pub fn reject_oversized_page_size(&self, reject: bool) {
        lock(&self.shared).meetings.reject_oversized = reject;
    }

    /// Allow `per_sec` API calls per 1-second window; more get 429 (per-second message).
    pub fn rate_limit(&self, per_sec: u32) {
        self.rate_limit_window(per_sec, Duration::from_secs(1));
    }

    /// Allow `limit` API calls per `period` (same 429 as [`Self::rate_limit`]).
    pub fn rate_limit_window(&self, limit: u32, period: Duration) {
        lock(&self.shared).window = Some(Window::new(limit, period, true));
    }

    /// Answer every API call with the daily-limit 429 until the next 00:00 UTC (`false`: stop).
    pub fn daily_limit_reached(&self, on: bool) {
        let now = chrono::Utc::now();
        let midnight = (now.date_naive() + chrono::Days::new(1))
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc());
        lock(&self.shared).daily_limit_until = if on { midnight } else { None };
    }

    /// Answer every API call with the daily-limit 429 until `until`, as Zoom does: its
    /// `Retry-After` is that time as an RFC 3339 date (`2020-05-31T00:00:00Z`).
    pub fn daily_limit_until(&self, until: chrono::DateTime<chrono::Utc>) {
        lock(&self.shared).daily_limit_until = Some(until);
    }

    /// The next `n` participant-list calls answer `404 {"code":3001}` as Zoom does while a
    /// past meeting's or webinar's report is not ready yet.
    pub fn report_not_ready_for(&self, n: usize) {
        lock(&self.shared).report_pending = n;
    }

    /// The app lacks `scope`: every API call whose path starts with `path_prefix` (`/v2/report/`)
    /// answers `400 {"code":4711}` naming it, as Zoom does for a token without that scope.
    pub fn without_scope(&self, path_prefix: &str, scope: &str) {
        lock(&self.shared)
            .missing_scopes
            .push((path_prefix.to_owned(), scope.to_owned()));
    }

    /// Answer the next `n` requests with `status` and JSON `body` (after recording them).
    pub fn fail_next(&self, n: usize, status: u16, body: Value) {
        lock(&self.shared).faults.fail_next(n, status, body);
    }

    /// Delay every response by `d` before processing.
    pub fn set_latency(&self, d: Duration) {
        lock(&self.shared).faults.set_latency(d);
    }
}

fn zoom_error(status: StatusCode, code: i64, message: &str) -> Response {
    json_resp(status, &json!({ "code": code, "message": message }))
}

fn oauth_error(reason: &str, error: &str) -> Response {
    json_resp(
        StatusCode::BAD_REQUEST,
        &json!({ "reason": reason, "error": error }),
    )
}

/// `POST /oauth/token`: fields from the query string or a form body.
fn token(g: &mut Inner, rec: &RecordedRequest) -> Response {
    let expected =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    if rec
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
        != Some(expected.as_str())
    {
        let body: Value = serde_json::from_str(INVALID_CLIENT).unwrap_or(Value::Null);
        return json_resp(StatusCode::BAD_REQUEST, &body);
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&rec.body)
        .into_owned()
        .collect();
    let field = |k: &str| rec.query_param(k).or_else(|| form.get(k).cloned());
    if field("grant_type").as_deref() != Some("account_credentials") {
        return oauth_error("Unsupported grant type", "unsupported_grant_type");
    }
    if field("account_id").as_deref() != Some(ACCOUNT_ID) {
        return oauth_error("Account does not exist", "invalid_request");
    }
    let access_token = format!("fake-zoom-{}", uuid::Uuid::new_v4().simple());
    g.tokens
        .insert(access_token.clone(), Instant::now() + g.token_ttl);
    g.token_requests += 1;
    let mut body: Value = serde_json::from_str(TOKEN_RESPONSE).unwrap_or_else(|_| json!({}));
    body["access_token"] = json!(access_token);
    body["expires_in"] = json!(g.token_ttl.as_secs().max(1));
    json_resp(StatusCode::OK, &body)
}

/// A `/v2/...` call: bearer check, budget, then the endpoint.
fn api(g: &mut Inner, rec: &RecordedRequest) -> Response {
    let now = Instant::now();
    let valid = rec
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .and_then(|t| g.tokens.get(t))
        .is_some_and(|exp| *exp > now);
    if !valid {
        return zoom_error(StatusCode::UNAUTHORIZED, 124, "Invalid access token.");
    }
    if let Some((_, scope)) = g
        .missing_scopes
        .iter()
        .find(|(prefix, _)| rec.path.starts_with(prefix.as_str()))
    {
        let message = format!("Invalid access token, does not contain scopes:[{scope}]");
        return zoom_error(StatusCode::BAD_REQUEST, 4711, &message);
    }
    if let Some(until) = g.daily_limit_until.filter(|u| *u > chrono::Utc::now()) {
        let mut r = zoom_error(
            StatusCode::TOO_MANY_REQUESTS,
            429,
            "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request.",
        );
        set_header(
            &mut r,
            "retry-after",
            until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
        set_header(&mut r, "x-ratelimit-type", "Daily-limit");
        return r;
    }
    if let Some(w) = g.window.as_mut()
        && !w.take().allowed
    {
        let mut r = zoom_error(
            StatusCode::TOO_MANY_REQUESTS,
            429,
            "You have reached the maximum per-second rate limit for this API. Try again later.",
        );
        set_header(&mut r, "x-ratelimit-type", "QPS");
        set_header(&mut r, "x-ratelimit-category", "Medium");
        return r;
    }
    if g.report_pending > 0 && rec.method == "GET" && rec.path.ends_with("/participants") {
        g.report_pending -= 1;
        let id = rec.path.split('/').nth(3).unwrap_or_default();
        return zoom_error(
            StatusCode::NOT_FOUND,
            3001,
            &format!("Meeting does not exist: {id}."),
        );
    }
    if rec.method == "GET" && rec.path == "/v2/users/me" {
        return json_resp(
            StatusCode::OK,
            &json!({
                "id": "z8yBXHd5TQ2bX9ZmN4kR7w", "first_name": "Maya", "last_name": "Chen",
                "display_name": "Maya Chen", "email": "maya.chen@example.com", "type": 2,
                "role_name": "Owner", "account_id": ACCOUNT_ID, "status": "active",
                "timezone": "America/Los_Angeles"
            }),
        );
    }
    webinars::route(&mut g.meetings, rec)
        .or_else(|| zoom_history::route(&mut g.meetings, rec))
        .unwrap_or_else(|| zoom_error(StatusCode::NOT_FOUND, 404, "Not Found"))
}

async fn handle(State(shared): State<Shared>, req: Request) -> Response {
    let rec = record("zoom", req).await;
    let latency = {
        let mut g = lock(&shared);
        g.log.push(rec.clone());
        g.faults.latency()
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut g = lock(&shared);
    if let Some(r) = g.faults.take() {
        return r;
    }
    if rec.path == "/oauth/token" && rec.method == "POST" {
        token(&mut g, &rec)
    } else if rec.path.starts_with("/v2/") {
        api(&mut g, &rec)
    } else {
        zoom_error(StatusCode::NOT_FOUND, 404, "Not Found")
    }
}

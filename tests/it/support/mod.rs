//! Test support shared by the areas: one module per area's helpers.

pub(crate) mod admin;
pub(crate) mod ingest;
pub(crate) mod process;
pub(crate) mod queue;
pub(crate) mod scheduler;
pub(crate) mod security;
pub(crate) mod worker;

/// The text of a `/metrics` endpoint (`url`: the whole URL).
pub(crate) async fn scrape(url: &str) -> String {
    meetflow_tests::http::http_client()
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

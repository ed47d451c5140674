//! HTTP clients for tests. reqwest is built with `rustls-no-provider`, so a rustls crypto
//! provider (ring) must be installed once per process before any client is built.

use std::time::Duration;

/// Install rustls' ring provider as the process default (idempotent).
pub fn install_crypto() {
    // Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A plain reqwest client (crypto installed, 10 s overall timeout).
pub fn http_client() -> reqwest::Client {
    http_client_with_timeout(Duration::from_secs(10))
}

/// A reqwest client with the given overall request timeout.
pub fn http_client_with_timeout(timeout: Duration) -> reqwest::Client {
    install_crypto();
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .expect("a reqwest client with default TLS settings builds")
}

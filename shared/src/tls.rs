//! The TLS crypto provider of the process: rustls with *ring*.
//!
//! reqwest (provider APIs) and the redis client (`rediss://` URLs) are built on rustls without a
//! provider of their own, so the process installs one before either makes a connection. ring
//! builds with a C compiler alone (no cmake, no Go), which keeps every container build simple.

/// Installs ring as the process-wide rustls provider; a no-op when one is already installed.
pub fn install_crypto_provider() {
    // An error only means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

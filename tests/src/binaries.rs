//! The meetflow binaries that process tests start, found where cargo builds them.
//!
//! `scripts/test.sh` builds every binary before the tests run; a test run straight from cargo
//! builds a missing or stale one here, once per test process. A binary is stale when its crate's
//! sources, the shared library's or `Cargo.lock` changed after it was built (a stale binary would
//! test yesterday's behaviour).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

/// The workspace root (the parent of the tests crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// Where cargo puts debug binaries: `$CARGO_TARGET_DIR/debug`, else `target/debug`.
pub fn debug_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from)
        .join("debug")
}

/// Newest modification time of `path` or of any file below it.
pub fn newest_mtime(path: &Path) -> SystemTime {
    let meta = std::fs::metadata(path).ok();
    let own = meta
        .as_ref()
        .and_then(|m| m.modified().ok())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    if !meta.is_some_and(|m| m.is_dir()) {
        return own;
    }
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| newest_mtime(&e.path()))
        .fold(own, SystemTime::max)
}

/// Whether `binary` (a path) is at least as new as the sources of crate `krate`.
pub fn is_fresh(binary: &Path, krate: &str) -> bool {
    let Ok(built) = std::fs::metadata(binary).and_then(|m| m.modified()) else {
        return false;
    };
    let root = workspace_root();
    [
        root.join(krate),
        root.join("shared/src"),
        root.join("Cargo.lock"),
    ]
    .iter()
    .all(|s| newest_mtime(s) <= built)
}

/// The debug build of `meetflow-<name>` (e.g. `worker`): `$MEETFLOW_<NAME>_BIN` when set, else
/// `target/debug/meetflow-<name>`, built first when missing or stale.
///
/// # Panics
/// When cargo cannot build it: the test cannot run without it.
pub fn meetflow_binary(name: &str) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let var = format!("MEETFLOW_{}_BIN", name.to_uppercase());
    if let Some(p) = std::env::var_os(&var) {
        return PathBuf::from(p);
    }
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    let built = built.get_or_insert_with(HashMap::new);
    if let Some(p) = built.get(name) {
        return p.clone();
    }
    let package = format!("meetflow-{name}");
    let bin = debug_dir().join(&package);
    if !is_fresh(&bin, name) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(workspace_root())
            .args(["build", "--quiet", "-p", &package, "--bin", &package])
            .status()
            .unwrap_or_else(|e| panic!("run cargo build for {package}: {e}"));
        assert!(status.success(), "cargo build -p {package} failed");
    }
    built.insert(name.to_owned(), bin.clone());
    bin
}

/// libfaketime's multi-threaded library, where Debian's `faketime` package puts it: preloaded
/// (`LD_PRELOAD`, with `FAKETIME=+30s`) it runs a process on a host clock that is off, as on a
/// machine whose clock drifted. `None` when the package is not installed.
pub fn faketime_lib() -> Option<PathBuf> {
    let arch = std::env::consts::ARCH;
    [
        format!("/usr/lib/{arch}-linux-gnu/faketime/libfaketimeMT.so.1"),
        "/usr/lib/faketime/libfaketimeMT.so.1".to_owned(),
        "/usr/local/lib/faketime/libfaketimeMT.so.1".to_owned(),
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// The environment that runs a process with its host clock `secs` ahead (libfaketime; monotonic
/// time left alone). Panics when libfaketime is missing (`apt-get install faketime`).
pub fn clock_ahead_env(secs: u32) -> Vec<(String, String)> {
    let lib = faketime_lib().unwrap_or_else(|| {
        panic!("libfaketime is needed for a skewed clock: apt-get install faketime")
    });
    vec![
        ("LD_PRELOAD".to_owned(), lib.display().to_string()),
        ("FAKETIME".to_owned(), format!("+{secs}s")),
        ("FAKETIME_DONT_FAKE_MONOTONIC".to_owned(), "1".to_owned()),
    ]
}

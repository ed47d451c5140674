#!/bin/sh
# Turns a copy of the workspace into a "dependency skeleton" for the image's cached deps layer:
# manifests, Cargo.lock, cargo/toolchain settings and build scripts are kept; every other .rs file
# is emptied and binary roots get an empty main; all other files are deleted. The result only
# changes when a Cargo.toml or Cargo.lock changes, so Docker reuses the compiled dependencies.
# Run inside the copy (the Dockerfile's skeleton stage; scripts/validate-deploy.sh checks it).
set -eu
echo 'fn main() {}' > /tmp/stub-main.rs
find . -name '*.rs' ! -name build.rs -exec truncate -s 0 {} +
find . \( -path '*/src/main.rs' -o -path '*/src/bin/*.rs' -o -path '*/benches/*.rs' \) \
  -exec cp /tmp/stub-main.rs {} \;
find . -type f ! -name '*.rs' ! -name Cargo.toml ! -name Cargo.lock \
  ! -name rust-toolchain.toml ! -path './.cargo/*' -delete

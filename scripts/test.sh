#!/usr/bin/env bash
# Runs Confide's whole test suite on a fresh machine: installs what is missing
# (Debian chromium, the npm packages of the browser tests), checks the services
# the tests need, then runs formatting, lints, Rust tests and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
export CARGO_TERM_COLOR=never

say "checking tools"
if [ ! -x /usr/bin/chromium ]; then
  say "installing Debian chromium (browser tests)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
command -v node >/dev/null || { echo "node is required for the browser tests (apt-get install nodejs npm)"; exit 1; }
if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/typescript ]; then
  say "installing npm packages for the browser tests"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

if ! python3 -c 'import twilio' 2>/dev/null; then
  say "installing twilio-python (token interoperability tests)"
  python3 -m pip install --quiet --disable-pip-version-check 'twilio==9.13.0'
fi
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  say "installing aiosmtpd (the SMTP server the reminder tests send to)"
  python3 -m pip install --quiet --disable-pip-version-check 'aiosmtpd==1.4.6'
fi

say "checking services"
# PostgreSQL is used by the API tests (issue 3 onwards); say so clearly when
# it is missing rather than skipping anything silently.
if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  echo "PostgreSQL: listening on 127.0.0.1:5432"
else
  echo "PostgreSQL: NOT reachable on 127.0.0.1:5432 — tests that need it will fail"
fi

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

say "cargo build (the binary the browser tests run)"
cargo build --bin confide

say "cargo test"
cargo test --workspace

say "browser tests"
TEST_CONFIDE_BIN="$PWD/target/debug/confide" node --test tests/browser/

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
# The reachability tests (tests/browser/reachability.netns.mjs) run a
# Chromium in a network namespace with iptables rules, beside Debian's
# coturn; they need root. The ACME test (api/tests/https.rs) gets its
# certificate from Debian's pebble.
# certutil (libnss3-tools) makes the namespace Chromium trust the test
# certificate of coturn's TURN over TLS.
if ! command -v turnserver >/dev/null || ! command -v iptables >/dev/null \
  || ! command -v pebble >/dev/null || ! command -v certutil >/dev/null; then
  say "installing Debian coturn, iptables, pebble and libnss3-tools (reachability and ACME tests)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq coturn iptables pebble libnss3-tools >/dev/null
fi
if [ "$(id -u)" != 0 ]; then
  echo "the reachability tests make network namespaces and need root: run this as root"
  exit 1
fi
command -v node >/dev/null || { echo "node is required for the browser tests (apt-get install nodejs npm)"; exit 1; }
if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/typescript ]; then
  say "installing npm packages for the browser tests"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -d tests/app-react/node_modules/esbuild ]; then
  say "installing npm packages to build twilio-video-app-react (tests/app-react)"
  (cd tests/app-react && npm ci --no-audit --no-fund --loglevel=error)
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
# Redis: the cluster tests (several nodes: api/tests/cluster_placement.rs,
# api/tests/reminders_crash.rs, tests/browser/nodes.test.mjs).
if (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  echo "Redis: listening on 127.0.0.1:6379"
else
  echo "Redis: NOT reachable on 127.0.0.1:6379 — the cluster tests will fail"
fi

say "the SDK's compatibility table and error codes (scripts/sdk-compat.mjs, from twilio-video's definitions)"
node scripts/sdk-compat.mjs --check
node scripts/sdk-global-build.mjs --check

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

say "cargo build (the binaries the browser tests run: confide, and testkit's delay line)"
cargo build -p confide-api -p confide-testkit --bin confide --bin delay-queue

say "cargo test"
cargo test --workspace

say "deploy/confide.service (systemd-analyze verify)"
if ! command -v systemd-analyze >/dev/null; then
  say "installing systemd's tools (to verify the unit)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq systemd >/dev/null
fi
# Verified as installed, but pointing at the binary just built.
unit_dir=$(mktemp -d)
sed "s#/usr/bin/confide#$PWD/target/debug/confide#" deploy/confide.service >"$unit_dir/confide.service"
systemd-analyze verify "$unit_dir/confide.service"
rm -rf "$unit_dir"
echo "the unit verifies"

say "deploy/haproxy.cfg (haproxy -c), the multi-node load balancer"
if ! command -v haproxy >/dev/null; then
  say "installing Debian haproxy (to check the example configuration)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq haproxy >/dev/null
fi
# Checked as written, with a certificate made here in place of the clinic's.
lb_dir=$(mktemp -d)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=confide.test \
  -keyout "$lb_dir/key.pem" -out "$lb_dir/cert.pem" 2>/dev/null
cat "$lb_dir/cert.pem" "$lb_dir/key.pem" >"$lb_dir/site.pem"
sed "s#/etc/haproxy/certs/video.yourclinic.example.pem#$lb_dir/site.pem#" deploy/haproxy.cfg >"$lb_dir/haproxy.cfg"
haproxy -c -f "$lb_dir/haproxy.cfg"
rm -rf "$lb_dir"

say "browser tests"
TEST_CONFIDE_BIN="$PWD/target/debug/confide" node --test tests/browser/

say "reachability: browsers on networks that block UDP (network namespaces)"
# After the other browser tests, not beside them: the namespaces' interfaces
# coming and going would make their Chromiums see network changes.
TEST_CONFIDE_BIN="$PWD/target/debug/confide" node --test tests/browser/reachability.netns.mjs

say "bad networks: a patient's network drops for 5, 20 and 45 s, turns lossy, turns lossy and slow (network namespaces)"
TEST_CONFIDE_BIN="$PWD/target/debug/confide" node --test tests/browser/outage.netns.mjs

say "a narrow downlink: a patient behind 300 kbit/s (network namespace, tbf)"
TEST_CONFIDE_BIN="$PWD/target/debug/confide" node --test tests/browser/bandwidth.netns.mjs

say "the README's first command, exactly as written"
# The first line of the README's first code block (its comment dropped) is
# run from the repository root, as a new user would, and must serve the
# app's first page. It uses the default ports (8080, UDP 50000) and ./data.
first=$(awk '/^```sh/ { inside = 1; next } inside { print; exit }' README.md | sed 's/[[:space:]]*#.*$//')
echo "\$ $first"
log=$(mktemp)
setsid bash -c "exec $first" >"$log" 2>&1 &
runner=$!
stop_runner() { kill -TERM -- "-$runner" 2>/dev/null || true; wait "$runner" 2>/dev/null || true; }
trap stop_runner EXIT
# The release build comes first: up to 40 minutes on a slow machine.
if ! timeout 2400 bash -c "until grep -q 'Confide is running on' '$log'; do kill -0 $runner 2>/dev/null || exit 1; sleep 0.5; done"; then
  tail -n 30 "$log"
  echo "the README's first command did not start Confide"
  exit 1
fi
page=$(curl -fsS http://127.0.0.1:8080/)
case "$page" in
  *"<title>Your appointments — Confide"*) echo "GET / answers the app's first page" ;;
  *) echo "GET / did not answer the app's first page"; exit 1 ;;
esac
stop_runner
trap - EXIT
rm -f "$log"

say "a copied release binary serves the app (its pages are built in)"
copy=$(mktemp -d)
cp target/release/confide "$copy/"
(cd "$copy" && exec ./confide --data-dir "$copy/data" --http-listen 127.0.0.1:0 --media-listen 127.0.0.1:0) >"$copy/log" 2>&1 &
copied=$!
trap 'kill $copied 2>/dev/null || true; rm -rf "$copy"' EXIT
if ! timeout 120 bash -c "until grep -q 'Confide is running on' '$copy/log'; do kill -0 $copied 2>/dev/null || exit 1; sleep 0.2; done"; then
  cat "$copy/log"; echo "the copied binary did not start"; exit 1
fi
addr=$(sed -n 's/.*Confide is running on \(http:[^ ]*\).*/\1/p' "$copy/log" | head -n 1)
curl -fsS "$addr/" | grep -q "<title>Your appointments — Confide"
curl -fsS "$addr/sdk/index.js" >/dev/null
echo "$addr/ and /sdk/index.js answer from a binary alone in $copy"
kill -TERM $copied; wait $copied || true
trap - EXIT
rm -rf "$copy"

say "the Debian package: built, installed with dpkg -i, checked, removed"
if dpkg -s confide >/dev/null 2>&1; then
  echo "a confide package is already installed on this machine; not touching it"
  exit 1
fi
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
had_user=$(id -u confide >/dev/null 2>&1 && echo yes || echo no)
deb=$(deploy/build-deb.sh target/release/confide "$(mktemp -d)")
remove_package() {
  $SUDO dpkg --purge confide >/dev/null 2>&1 || true
  [ "$had_user" = yes ] || $SUDO userdel confide 2>/dev/null || true
  rm -rf "$(dirname "$deb")"
}
trap remove_package EXIT
$SUDO dpkg -i "$deb" >/dev/null
[ "$(/usr/bin/confide --version)" = "confide $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)" ] || { echo "confide --version: $(/usr/bin/confide --version)"; exit 1; }
systemd-analyze verify /lib/systemd/system/confide.service
id confide >/dev/null
[ "$(stat -c %G /etc/confide/confide.toml)" = confide ] || { echo "/etc/confide/confide.toml is not the confide group's"; exit 1; }
echo "installed, the unit verifies, the account exists; removing"
remove_package
trap - EXIT

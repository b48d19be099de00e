#!/usr/bin/env bash
# What several nodes cost Redis (docs/benchmarks.md, "Nodes on Redis"):
# three `confide` nodes on one PostgreSQL database and the Redis at
# 127.0.0.1:6379, Redis's command counts over 20 s idle, then while
# confide-loadtest makes ROOMS audio calls through node 1 for SECONDS.
# Needs: PostgreSQL at 127.0.0.1:5432 (trust), `psql`, `redis-cli`, and the
# binaries (CONFIDE_BIN, LOADTEST_BIN; debug builds by default: counting
# commands does not need speed). Removes its database, keys and folders.
#   loadtest/cluster-redis-cost.sh 20 30
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIDE_BIN=${CONFIDE_BIN:-target/debug/confide}
LOADTEST_BIN=${LOADTEST_BIN:-target/debug/confide-loadtest}
ROOMS=${1:-20}; SECS=${2:-30}
DB=confide_cost_$$; NAME=confide-cost-$$; WORK=$(mktemp -d)
psql postgres://postgres@127.0.0.1:5432/test -qc "CREATE DATABASE $DB"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  sleep 1
  psql postgres://postgres@127.0.0.1:5432/test -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
  redis-cli --raw eval "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end" 0 "$NAME:*" >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
for i in 0 1 2; do
  D=$WORK/n$i; mkdir -p $D
  printf 'a-session-key-every-node-shares-0123456789' > $D/session.key
  HP=$((18190 + i)); MP=$((52000 + 16 * i))
  cat > $D/confide.toml <<TOML
database_url = "postgres://postgres@127.0.0.1:5432/$DB"
[media]
workers = 1
[tokens]
account_sid = "AC0123456789abcdef0123456789abcdef"
api_key_sid = "SK0123456789abcdef0123456789abcdef"
api_key_secret = "cost-secret-0123456789abcdef"
[cluster]
redis_url = "redis://127.0.0.1:6379"
node_url = "http://127.0.0.1:$HP"
name = "$NAME"
TOML
  "$CONFIDE_BIN" --config $D/confide.toml --data-dir $D --http-listen 127.0.0.1:$HP --media-listen 127.0.0.1:$MP serve > $D/log 2>&1 &
  PIDS+=($!)
  for _ in $(seq 150); do grep -q "Confide is running" $D/log && break; kill -0 ${PIDS[-1]} 2>/dev/null || { cat $D/log; exit 1; }; sleep 0.2; done
done
stats() { redis-cli info commandstats | tr -d '\r' | grep '^cmdstat' | sed 's/cmdstat_\([a-z|]*\):calls=\([0-9]*\).*/\1 \2/'; }
sleep 2
redis-cli config resetstat >/dev/null
sleep 20
echo "== idle, 3 nodes, 20 s"; stats
redis-cli config resetstat >/dev/null
start=$(date +%s.%N)
"$LOADTEST_BIN" --server http://127.0.0.1:18190 --account-sid AC0123456789abcdef0123456789abcdef --api-key-sid SK0123456789abcdef0123456789abcdef --api-key-secret cost-secret-0123456789abcdef --rooms $ROOMS --duration ${SECS}s --ramp 5 --video off --quiet > $WORK/lt.out 2>&1 || { tail -20 $WORK/lt.out; }
end=$(date +%s.%N)
echo "== load: $ROOMS rooms x 2 participants through node 1, $(echo "$end - $start" | bc) s"; stats
grep -i "joined\|calls\|particip" $WORK/lt.out | head -5
for i in 0 1 2; do echo "node $i: $(grep -c '"joined\| joined ' $WORK/n$i/log) joins logged"; done

#!/usr/bin/env bash
# npm run test:tempest — Tempest 33's image v2 API tests against imageshare.
#
# Starts our service on a free loopback port over a scratch SQLite database (--profile openstack), makes
# three accounts with the CLI (primary, alt, admin), writes a Tempest workspace (tempest.conf from
# tempest.conf.in, accounts.yaml with pre-provisioned credentials), runs
#   tempest run --serial --regex '^tempest\.api\.image\.v2' --exclude-list skip-list.txt
# and judges the subunit results with results.py:
#   * any failed test not named in skip-list.txt fails the run;
#   * every test of the required classes (REQUIRED_CLASSES below) must pass, by name.
# The server is stopped and the scratch folder removed on exit; the logs of the last run are copied to
# $TEMPEST_ARTIFACTS (default /tmp/imageshare-tempest-last): tempest.log has every HTTP exchange.
#
# Environment:
#   REQUIRE_ALL_SUITES=1   missing Tempest is a failure, not a skip (set by .ci/run)
#   TEMPEST_REGEX=...      another selection (default ^tempest\.api\.image\.v2); the required-class
#                          check then only covers the classes the selection lists
#   TEMPEST_KEEP=1         keep the scratch folder (server data, Tempest workspace) and print its path
#   TEMPEST_ARTIFACTS=dir  where to copy tempest.log, results.txt, server.log (default above)
#   TEMPEST_BIN=path       the tempest command (default /usr/bin/tempest, Debian's)
#   TEMPEST_DATABASE_URL=postgres://...   run the server on PostgreSQL instead, in a fresh schema that is
#                          dropped on exit (default: SQLite in the scratch folder)
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# Debian's OpenStack tools must run with Debian's python3, not a pyenv build earlier on the PATH.
export PATH="/usr/bin:/usr/sbin:/bin:/sbin:$PATH"
PY=/usr/bin/python3
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY OS_CLOUD
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
REGION=ap-guangzhou
REGEX="${TEMPEST_REGEX:-^tempest\.api\.image\.v2}"
ARTIFACTS="${TEMPEST_ARTIFACTS:-/tmp/imageshare-tempest-last}"
REQUIRED_CLASSES=(
  BasicOperationsImagesTest ListUserImagesTest ListSharedImagesTest ImagesMemberTest
  ImagesMemberNegativeTest ImagesNegativeTest ImagesTagsTest ImagesTagsNegativeTest
  MetadataSchemaTest VersionsTest BasicOperationsImagesAdminTest
)

log() { printf '[tempest %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# --- Tempest present? (install Debian's package when we can) ---
TEMPEST="${TEMPEST_BIN:-/usr/bin/tempest}"
have_tempest() { [ -x "$TEMPEST" ] && "$PY" -c 'import tempest, subunit, testtools' 2>/dev/null; }
if ! have_tempest && [ -z "${TEMPEST_BIN:-}" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  log "Tempest missing: apt-get install tempest"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends tempest; } >&2 || true
fi
if ! have_tempest; then
  if [ "${REQUIRE_ALL_SUITES:-}" = 1 ]; then
    die "Tempest (Debian package 'tempest') is not installed and could not be installed; REQUIRE_ALL_SUITES=1"
  fi
  echo "SKIP: Tempest suite not run: Debian package 'tempest' is not installed and could not be installed" \
    "(apt-get install tempest, then npm run test:tempest)."
  exit 0
fi
[ -d "$ROOT/node_modules" ] || die "node_modules missing: run npm ci first"

# --- scratch folder, server, clean-up ---
WORK="$(mktemp -d "${TMPDIR:-/tmp}/imageshare-tempest.XXXXXX")"
DATA="$WORK/data"
DB_ARGS=()
PG_SCHEMA=""
if [ -n "${TEMPEST_DATABASE_URL:-}" ]; then
  PG_SCHEMA="tempest_$(date +%s)_$$"
  DB_ARGS=(--database-url "$TEMPEST_DATABASE_URL" --database-schema "$PG_SCHEMA")
fi
WS="$WORK/workspace"
SERVER_LOG="$WORK/server.log"
SERVER_PID=""

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID" 2>/dev/null
  fi
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_server
  if [ -n "$PG_SCHEMA" ]; then
    (cd "$ROOT" && node -e '
const pg = require("pg");
const c = new pg.Client({ connectionString: process.argv[1] });
c.connect().then(() => c.query(`drop schema if exists "${process.argv[2]}" cascade`)).finally(() => c.end());
' "$TEMPEST_DATABASE_URL" "$PG_SCHEMA") || log "warning: could not drop schema $PG_SCHEMA"
  fi
  rm -rf "$ARTIFACTS"
  mkdir -p "$ARTIFACTS"
  for f in "$WS/tempest.log" "$WS/results.txt" "$WS/tempest-run.out" "$WS/etc/tempest.conf" "$SERVER_LOG"; do
    [ -f "$f" ] && cp "$f" "$ARTIFACTS/"
  done
  if [ "${TEMPEST_KEEP:-}" = 1 ]; then
    log "scratch folder kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  log "logs of this run: $ARTIFACTS (tempest.log has the HTTP exchanges)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The server reads IMAGESHARE_* and a few short names from the environment, and ./imageshare.json:
# run it from the scratch folder with none of them, so only the flags below configure it.
clean_env=(env -u DATABASE_URL -u PORT -u HOST)
while IFS= read -r name; do clean_env+=(-u "$name"); done < <(compgen -e | grep '^IMAGESHARE_' || true)
imageshare() { (cd "$WORK" && "${clean_env[@]}" IMAGESHARE_CONFIG= node "$ROOT/bin/imageshare.js" "$@"); }

mkdir -p "$DATA"
log "starting imageshare (data: $DATA${PG_SCHEMA:+, PostgreSQL schema $PG_SCHEMA}, profile openstack)"
(cd "$WORK" && exec "${clean_env[@]}" IMAGESHARE_CONFIG= IMAGESHARE_LOG_LEVEL=info \
  node "$ROOT/bin/imageshare.js" serve --host 127.0.0.1 --port 0 --data-dir "$DATA" "${DB_ARGS[@]}" --profile openstack) \
  >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
BASE_URL=""
for _ in $(seq 300); do
  BASE_URL="$(sed -n 's/^imageshare listening on \(http[^ ]*\).*/\1/p' "$SERVER_LOG" | head -n1)"
  [ -n "$BASE_URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$BASE_URL" ]; then
  tail -n 30 "$SERVER_LOG" >&2
  die "imageshare did not start (log above)"
fi
log "imageshare listening on $BASE_URL"

# --- accounts (the CLI opens the same SQLite database) ---
new_account() { # name [--admin] -> prints "id password"
  local name="$1" password out
  shift
  password="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(18))')"
  out="$(printf '%s\n' "$password" | imageshare account create --data-dir "$DATA" "${DB_ARGS[@]}" --name "$name" --password-stdin "$@" --json)" ||
    die "account create $name failed"
  # --json prints one JSON object line: {"id": ..., "name": ..., "admin": ...} (a given password is not echoed)
  printf '%s %s\n' "$(printf '%s\n' "$out" | "$PY" -c '
import json, sys
lines = [ln for ln in sys.stdin.read().splitlines() if ln.startswith("{")]
print(json.loads(lines[-1])["id"] if lines else "")')" "$password"
}
SUFFIX="$(date +%s)"
read -r PRIMARY_ID PRIMARY_PW < <(new_account "tempest-primary-$SUFFIX") || die "no primary account"
read -r ALT_ID ALT_PW < <(new_account "tempest-alt-$SUFFIX") || die "no alt account"
read -r ADMIN_ID ADMIN_PW < <(new_account "tempest-admin-$SUFFIX" --admin) || die "no admin account"
[ -n "$PRIMARY_ID" ] && [ -n "$ALT_ID" ] && [ -n "$ADMIN_ID" ] || die "account creation printed no IDs"
log "accounts: primary=$PRIMARY_ID alt=$ALT_ID admin=$ADMIN_ID"

# --- Tempest workspace ---
"$TEMPEST" init --workspace-path "$WORK/workspaces.yaml" "$WS" >/dev/null 2>&1 || die "tempest init failed"
"$PY" - "$HERE/tempest.conf.in" "$WS/etc/tempest.conf" "WORKSPACE=$WS" "BASE_URL=$BASE_URL" "REGION=$REGION" <<'EOF' || die "cannot render tempest.conf"
import re, sys
src, dst, *pairs = sys.argv[1:]
values = dict(p.split('=', 1) for p in pairs)
def sub(m):
    if m.group(1) not in values:
        sys.exit('no value for @%s@' % m.group(1))
    return values[m.group(1)]
text = re.sub(r'@([A-Z_][A-Z0-9_]*)@', sub, open(src).read())
open(dst, 'w').write(text)
EOF
# User and project share the account's name (one account = one user + one project, domain Default).
# Tempest picks primary/alt from accounts without the admin role, and admin by roles: [admin].
cat >"$WS/etc/accounts.yaml" <<EOF
- username: 'tempest-primary-$SUFFIX'
  project_name: 'tempest-primary-$SUFFIX'
  password: '$PRIMARY_PW'
  roles: ['member', 'reader']
- username: 'tempest-alt-$SUFFIX'
  project_name: 'tempest-alt-$SUFFIX'
  password: '$ALT_PW'
  roles: ['member', 'reader']
- username: 'tempest-admin-$SUFFIX'
  project_name: 'tempest-admin-$SUFFIX'
  password: '$ADMIN_PW'
  roles: ['admin', 'member', 'reader']
  types: ['admin']
EOF

# --- run ---
cd "$WS" || die "no workspace"
"$TEMPEST" run --config-file "$WS/etc/tempest.conf" --regex "$REGEX" --list-tests >"$WS/listed.txt" 2>"$WS/list.err" ||
  {
    cat "$WS/list.err" >&2
    die "tempest could not list its tests"
  }
required=()
for c in "${REQUIRED_CLASSES[@]}"; do
  if [ -z "${TEMPEST_REGEX:-}" ] || grep -q "\.$c\." "$WS/listed.txt"; then required+=(--required "$c"); fi
done
log "running $(grep -c '^tempest\.' "$WS/listed.txt") listed tests minus the skip list, serially"
T0=$(date +%s)
timeout 280 "$TEMPEST" run --config-file "$WS/etc/tempest.conf" --regex "$REGEX" \
  --exclude-list "$HERE/skip-list.txt" --serial >"$WS/tempest-run.out" 2>&1
TEMPEST_RC=$?
log "tempest run finished in $(($(date +%s) - T0))s (exit $TEMPEST_RC)"
[ "$TEMPEST_RC" = 124 ] && log "tempest run was stopped by the 280 s timeout"

stestr last --subunit 2>/dev/null | "$PY" "$HERE/results.py" --skip-list "$HERE/skip-list.txt" \
  --listed "$WS/listed.txt" "${required[@]}" --out "$WS/results.txt"
RESULT_RC=$?
if [ "$RESULT_RC" != 0 ] || [ "$TEMPEST_RC" = 124 ]; then
  echo "Tempest against imageshare FAILED; details in $ARTIFACTS/tempest.log and results.txt" >&2
  exit 1
fi
echo "Tempest against imageshare passed."

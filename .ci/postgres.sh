#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on loopback for the server's tests
# and prints the environment for them:
#
#   eval "$(bash .ci/postgres.sh)"
#
# prints `export NYCKELFRI_TEST_POSTGRES_URL=postgres://...` (and the
# cluster's folder as NYCKELFRI_PG_DIR). Installs Debian's postgresql
# package if it is missing. The cluster runs as the unprivileged user
# `postgres` in a temp folder, listens on 127.0.0.1 only, trusts local
# connections (it holds nothing but test data) and is not durable (fsync
# off). Stop it with: pg_ctl -D "$NYCKELFRI_PG_DIR/data" stop (as postgres).
# Everything but the export lines goes to stderr.
set -euo pipefail
log() { printf '%s\n' "$*" >&2; }

find_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]] && printf '%s' "$d"
}

bindir=$(find_bindir || true)
if [[ -z "$bindir" ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    log "postgresql is not installed and this is not root: apt-get install postgresql"
    exit 1
  fi
  log "installing postgresql (Debian package)"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
  bindir=$(find_bindir)
fi

# Run the cluster as an unprivileged user: `postgres` when we are root.
as_pg=()
owner=$(id -un)
if [[ $(id -u) -eq 0 ]]; then
  if ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres >&2
  fi
  owner=postgres
  as_pg=(runuser -u postgres --)
fi

dir=$(mktemp -d /tmp/nyckelfri-pg.XXXXXX)
chmod 0755 "$dir"
chown "$owner" "$dir"

# A free port on loopback, from 54329 up.
port=${NYCKELFRI_PG_PORT:-54329}
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  port=$((port + 1))
done

"${as_pg[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >&2 || { cat "$dir/server.log" >&2; exit 1; }
"${as_pg[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres nyckelfri >&2

log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (cluster in $dir)"
echo "export NYCKELFRI_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/nyckelfri"
echo "export NYCKELFRI_PG_DIR=$dir"

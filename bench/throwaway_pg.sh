#!/usr/bin/env bash
# A throwaway PostgreSQL for the benchmarks, started as .ci/run starts the tests' one:
# initdb and pg_ctl as a non-root user, on a free port of 127.0.0.1, data under /tmp.
#
#   bench/throwaway_pg.sh start [DIR]   # prints the database URL to give --database-url
#   bench/throwaway_pg.sh url [DIR]     # prints it again
#   bench/throwaway_pg.sh stop [DIR]    # stops the server and removes DIR
#
# DIR defaults to /tmp/incident-bot-bench-pg. Durability is off (fsync=off): the data is
# thrown away after the run anyway, and the bench measures the bot, not the disk.
set -euo pipefail

ACTION=${1:-}
DIR=${2:-/tmp/incident-bot-bench-pg}
DATABASE=bench

pg_bin() {
  local found
  found=$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$found" ] && dirname "$(readlink -f "$found")"
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url() { echo "postgresql+psycopg://incident@127.0.0.1:$(cat "$DIR/port")/$DATABASE"; }

case "$ACTION" in
  start)
    PGBIN=$(pg_bin) || { echo "no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 1; }
    if [ -e "$DIR" ]; then echo "$DIR exists: stop it first" >&2; exit 1; fi
    mkdir -p "$DIR"
    if [ "$(id -u)" = 0 ]; then
      id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
      chown postgres "$DIR"
    fi
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    echo "$PORT" >"$DIR/port"
    as_pg "$PGBIN/initdb" -D "$DIR/data" -U incident --auth=trust -E UTF8 >/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/data/server.log" -w \
      -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U incident "$DATABASE"
    url
    ;;
  url)
    url
    ;;
  stop)
    PGBIN=$(pg_bin)
    if [ -d "$DIR/data" ]; then as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null || true; fi
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: $0 start|url|stop [DIR]" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Real servers for the store modules' tests (pgstore, redisstore): a
# PostgreSQL and a Redis on loopback, with their data under one directory,
# no systemd. CI and developers use it the same way:
#
#   scripts/services.sh start          # install if missing, start (twice is fine)
#   eval "$(scripts/services.sh env)"  # export the variables the tests read
#   scripts/services.sh stop
#
# start installs the Debian packages postgresql and redis-server when they
# are missing (apt-get; sudo when not root), creates a PostgreSQL cluster
# (initdb, trust authentication on 127.0.0.1 only) and its test database,
# and starts both servers: pg_ctl as the postgres user (or as you when not
# root), redis-server --daemonize. A server already running is left as it
# is, so several worktrees on one machine share the same servers.
#
# Settings (environment): TRAVELROAM_SERVICES_DIR (default
# /tmp/travelroam-services), TRAVELROAM_PG_PORT (54329),
# TRAVELROAM_REDIS_PORT (63790).
set -euo pipefail

DIR=${TRAVELROAM_SERVICES_DIR:-/tmp/travelroam-services}
PG_PORT=${TRAVELROAM_PG_PORT:-54329}
REDIS_PORT=${TRAVELROAM_REDIS_PORT:-63790}
PG_DB=travelroam_test
PG_DIR=$DIR/postgres
REDIS_DIR=$DIR/redis

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# pg_bindir prints the bin directory of the newest PostgreSQL installed.
pg_bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; fi
}

# as_pg runs a command as the owner of the cluster: the postgres user
# when we are root (PostgreSQL refuses to run as root), else ourselves.
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install() {
	local need=()
	[ -n "$(pg_bindir)" ] || need+=(postgresql)
	command -v redis-server >/dev/null && command -v redis-cli >/dev/null || need+=(redis-server)
	if [ ${#need[@]} -eq 0 ]; then return; fi
	echo "services: installing ${need[*]}"
	as_root apt-get update -qq
	# RUNLEVEL=1: the packages' scripts do not start their own default
	# servers; this script starts its own.
	as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 \
		apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

pg_running() { [ -s "$PG_DIR/data/PG_VERSION" ] && as_pg "$(pg_bindir)/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; }

start_postgres() {
	local bin
	bin=$(pg_bindir)
	mkdir -p "$DIR"
	if [ ! -s "$PG_DIR/data/PG_VERSION" ]; then
		rm -rf "$PG_DIR"
		mkdir -p "$PG_DIR/data" "$PG_DIR/sock"
		if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$PG_DIR"; fi
		as_pg "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-sync >"$DIR/initdb.log" 2>&1 ||
			{ cat "$DIR/initdb.log"; exit 1; }
	fi
	if pg_running; then
		echo "services: PostgreSQL already running on 127.0.0.1:$PG_PORT"
	else
		as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 300 \
			-o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR/sock" start >/dev/null ||
			{ tail -n 20 "$PG_DIR/postgres.log"; exit 1; }
		echo "services: PostgreSQL started on 127.0.0.1:$PG_PORT"
	fi
	if ! as_pg "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1; then
		as_pg "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE $PG_DB" >/dev/null
	fi
}

redis_running() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

start_redis() {
	mkdir -p "$REDIS_DIR"
	if redis_running; then
		echo "services: Redis already running on 127.0.0.1:$REDIS_PORT"
		return
	fi
	redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" \
		--pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" --save '' --appendonly no
	# Readiness, not a fixed sleep: ask until it answers PING, for up to two
	# minutes (a busy machine can be slow to start it; it usually answers
	# within 0.1 s).
	for _ in $(seq 1200); do
		if redis_running; then
			echo "services: Redis started on 127.0.0.1:$REDIS_PORT"
			return
		fi
		sleep 0.1
	done
	tail -n 20 "$REDIS_DIR/redis.log"
	exit 1
}

stop() {
	if [ -n "$(pg_bindir)" ] && pg_running; then
		as_pg "$(pg_bindir)/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
		echo "services: PostgreSQL stopped"
	fi
	if command -v redis-cli >/dev/null && redis_running; then
		redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
		echo "services: Redis stopped"
	fi
}

env_vars() {
	echo "export TRAVELROAM_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB?sslmode=disable'"
	echo "export TRAVELROAM_TEST_REDIS_ADDR='127.0.0.1:$REDIS_PORT'"
}

case "${1:-}" in
start)
	install
	start_postgres
	start_redis
	;;
stop) stop ;;
env) env_vars ;;
*)
	echo "usage: $0 start|stop|env" >&2
	exit 2
	;;
esac

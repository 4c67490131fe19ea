# shellcheck shell=bash
# Redis 7 for local (Docker-less) runs: Debian's redis-server package, run as our own process
# (no config file, no distro service). Sourced by infra/services.sh; see infra/lib/CONTRACT.md.
# No top-level side effects.
#
# Defaults: FEEDGRAPH_REDIS_PORT=6379, bound to 127.0.0.1, no password.
# Data: $FG_DATA/redis (AOF, appendfsync everysec; no RDB snapshots; no maxmemory, so no eviction).

redis_port() { echo "${FEEDGRAPH_REDIS_PORT:-6379}"; }

# Run "$@" detached in its own session (survives the caller's exit and Ctrl-C), output appended
# to $1, pid written to $2 by the process itself (exact even if setsid has to fork).
_redis_spawn() {
    local log="$1" pidfile="$2"
    shift 2
    rm -f "$pidfile"
    # shellcheck disable=SC2016 # $$ and $@ are for the inner sh
    setsid sh -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$log" 2>&1 &
    for _ in $(seq 50); do [ -s "$pidfile" ] && return 0; sleep 0.05; done
    echo "could not start (no pid file $pidfile); see $log" >&2
    return 1
}

# redis-cli against 127.0.0.1:<port> with a hard time limit (redis-cli 7.0 has no connect timeout).
_redis_cli() {
    local port="$1"
    shift
    timeout 5 redis-cli -h 127.0.0.1 -p "$port" "$@"
}

# Stop a Redis that the Debian package may have started as a service (it would hold port 6379
# and is not ours: other config, data in /var/lib/redis), and keep it from starting at boot.
_redis_stop_distro_service() {
    local pid
    pid="$(cat /run/redis/redis-server.pid 2>/dev/null)"
    if [ -z "$pid" ] && command -v pgrep >/dev/null 2>&1; then
        pid="$(pgrep -u redis -x redis-server 2>/dev/null | head -n 1)"
    fi
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        echo "redis_install: stopping the redis-server service (pid $pid) that the Debian package started" >&2
    else
        pid=""
    fi
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        systemctl disable --now redis-server.service >/dev/null 2>&1
    fi
    if [ -x /etc/init.d/redis-server ]; then
        /etc/init.d/redis-server stop >/dev/null 2>&1
        command -v update-rc.d >/dev/null 2>&1 && update-rc.d redis-server disable >/dev/null 2>&1
    fi
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    return 0
}

redis_install() {
    local pkg="${REDIS_DEBIAN_PACKAGE:-}" made_policy="" rc
    if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
        return 0
    fi
    if [ -z "$pkg" ]; then
        echo "redis_install: REDIS_DEBIAN_PACKAGE is not set (source infra/versions.env)" >&2
        return 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "redis_install: redis-server is not on PATH and there is no apt-get; install Redis 7 by hand" >&2
        return 1
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "redis_install: redis-server is missing and installing it needs root; as root run:" >&2
        echo "  apt-get update && apt-get install -y $pkg" >&2
        return 1
    fi
    mkdir -p "$FG_LOGS" || return 1
    # Keep the package's postinst from starting its own service (the Docker trick; only when
    # no policy is in place already, and removed afterwards).
    if ! [ -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
    fi
    echo "redis_install: installing Debian package $pkg..." >&2
    {
        apt-get -o DPkg::Lock::Timeout=300 update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$pkg"
    } >"$FG_LOGS/redis-install.log" 2>&1
    rc=$?
    [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
    _redis_stop_distro_service
    if [ $rc != 0 ] || ! command -v redis-server >/dev/null 2>&1; then
        echo "redis_install: 'apt-get install $pkg' failed; last lines of $FG_LOGS/redis-install.log:" >&2
        tail -n 20 "$FG_LOGS/redis-install.log" >&2
        return 1
    fi
}

# Start redis-server <name> on <port> (data in $FG_DATA/<name>, log and pid as <name>) with the
# persistence options that follow; shared by this server and redis_cache.sh's.
_redis_serve() {
    local name="$1" port="$2"
    shift 2
    if ! command -v redis-server >/dev/null 2>&1; then
        echo "${name}_start: redis-server not found; run redis_install first" >&2
        return 1
    fi
    mkdir -p "$FG_DATA/$name" "$FG_LOGS" "$FG_RUN" || return 1
    # No config file: Debian's /etc/redis/redis.conf (daemonize, /var/lib/redis, its log file) is
    # not ours.
    _redis_spawn "$FG_LOGS/$name.log" "$FG_RUN/$name.pid" \
        redis-server \
        --port "$port" --bind 127.0.0.1 --protected-mode no \
        --dir "$FG_DATA/$name" --daemonize no --logfile "" "$@"
}

redis_start() {
    # AOF everysec keeps the event stream across restarts; RDB snapshots off; no maxmemory (nothing
    # here may be evicted silently).
    _redis_serve redis "$(redis_port)" --appendonly yes --appendfsync everysec --save ""
}

redis_ready() {
    [ "$(_redis_cli "$(redis_port)" PING 2>/dev/null)" = "PONG" ]
}

redis_version() {
    local v
    v="$(_redis_cli "$(redis_port)" INFO server 2>/dev/null | tr -d '\r' | sed -n 's/^redis_version://p')"
    if [ -z "$v" ] && command -v redis-server >/dev/null 2>&1; then
        # not running: the installed binary's version
        v="$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')"
    fi
    echo "redis ${v:-unknown}"
}

# shellcheck shell=bash
# A 3-master Redis Cluster on 127.0.0.1 for the tests that need cluster semantics (MOVED, hash
# slots, cross-slot errors). Not a services.sh server (no <server>_port/_install/...), not started
# by default. Uses the same redis-server binary as infra/lib/redis.sh (run redis_install first).
# No top-level side effects.
#
#   FEEDGRAPH_REDIS_CLUSTER_PORTS  default "7001 7002 7003" (at least 3: one master per port)
#   data  $FG_DATA/redis-cluster/<port>   (nodes.conf + AOF)
#   log   $FG_LOGS/redis-cluster-<port>.log, pid $FG_RUN/redis-cluster-<port>.pid
#
# redis_cluster_start  start the missing nodes, create the cluster once (idempotent), wait for
#                      cluster_state:ok on every node (FEEDGRAPH_REDIS_CLUSTER_TIMEOUT, default 30 s)
# redis_cluster_ready  0 when every node answers and reports cluster_state:ok
# redis_cluster_stop   TERM each node (pid file), KILL after 10 s; keeps the data
# To start from scratch: redis_cluster_stop; rm -rf "$FG_DATA/redis-cluster"

_redis_cluster_ports() { echo "${FEEDGRAPH_REDIS_CLUSTER_PORTS:-7001 7002 7003}"; }

_redis_cluster_cli() {
    local port="$1"
    shift
    timeout 5 redis-cli -h 127.0.0.1 -p "$port" "$@" 2>/dev/null | tr -d '\r'
}

# field of CLUSTER INFO on one node
_redis_cluster_info() { _redis_cluster_cli "$1" CLUSTER INFO | sed -n "s/^$2://p"; }

_redis_cluster_wait() { # <seconds> <command...>: poll every 0.1 s until the command succeeds
    local deadline=$(($(date +%s) + $1))
    shift
    until "$@"; do
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}

_redis_cluster_all_ping() {
    local p
    for p in $(_redis_cluster_ports); do
        [ "$(_redis_cluster_cli "$p" PING)" = "PONG" ] || return 1
    done
}

redis_cluster_ready() {
    local p
    for p in $(_redis_cluster_ports); do
        [ "$(_redis_cluster_info "$p" cluster_state)" = "ok" ] || return 1
    done
}

redis_cluster_start() {
    local ports p n=0 timeout="${FEEDGRAPH_REDIS_CLUSTER_TIMEOUT:-30}" fresh=0 addrs=""
    ports="$(_redis_cluster_ports)"
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        echo "redis_cluster_start: redis-server/redis-cli not found; run redis_install first" >&2
        return 1
    fi
    for p in $ports; do n=$((n + 1)); done
    if [ "$n" -lt 3 ]; then
        echo "redis_cluster_start: need at least 3 ports in FEEDGRAPH_REDIS_CLUSTER_PORTS, got '$ports'" >&2
        return 1
    fi
    mkdir -p "$FG_LOGS" "$FG_RUN" || return 1
    for p in $ports; do
        if [ "$(_redis_cluster_cli "$p" PING)" = "PONG" ]; then
            if [ "$(_redis_cluster_cli "$p" INFO cluster | sed -n 's/^cluster_enabled://p')" != "1" ]; then
                echo "redis_cluster_start: port $p is taken by a Redis that is not in cluster mode" >&2
                return 1
            fi
            continue
        fi
        mkdir -p "$FG_DATA/redis-cluster/$p" || return 1
        rm -f "$FG_RUN/redis-cluster-$p.pid"
        # shellcheck disable=SC2016 # $$ and $@ are for the inner sh
        setsid sh -c 'echo $$ >"$0"; exec "$@"' "$FG_RUN/redis-cluster-$p.pid" \
            redis-server --port "$p" --bind 127.0.0.1 --protected-mode no \
            --dir "$FG_DATA/redis-cluster/$p" --daemonize no --logfile "" \
            --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
            --appendonly yes --appendfsync everysec --save "" \
            </dev/null >>"$FG_LOGS/redis-cluster-$p.log" 2>&1 &
    done
    if ! _redis_cluster_wait "$timeout" _redis_cluster_all_ping; then
        echo "redis_cluster_start: nodes did not answer PING within ${timeout}s; see $FG_LOGS/redis-cluster-<port>.log" >&2
        return 1
    fi
    # Created already? Every node knows all the others and all 16384 slots are assigned.
    # Fresh? Every node knows only itself and has no slot.
    for p in $ports; do
        if [ "$(_redis_cluster_info "$p" cluster_known_nodes)" = "1" ] &&
            [ "$(_redis_cluster_info "$p" cluster_slots_assigned)" = "0" ]; then
            fresh=$((fresh + 1))
        elif [ "$(_redis_cluster_info "$p" cluster_known_nodes)" != "$n" ] ||
            [ "$(_redis_cluster_info "$p" cluster_slots_assigned)" != "16384" ]; then
            fresh=-1000
        fi
    done
    if [ "$fresh" = "$n" ]; then
        for p in $ports; do addrs="$addrs 127.0.0.1:$p"; done
        # shellcheck disable=SC2086
        if ! timeout 60 redis-cli --cluster create $addrs --cluster-replicas 0 --cluster-yes \
            >>"$FG_LOGS/redis-cluster-create.log" 2>&1; then
            echo "redis_cluster_start: 'redis-cli --cluster create' failed; see $FG_LOGS/redis-cluster-create.log" >&2
            return 1
        fi
    elif [ "$fresh" != 0 ]; then
        echo "redis_cluster_start: the nodes on ports '$ports' are neither a fresh set nor one created cluster" \
            "(data of some nodes lost, or the port list changed). Start over with:" >&2
        echo "  redis_cluster_stop; rm -rf '$FG_DATA/redis-cluster'; redis_cluster_start" >&2
        return 1
    fi
    if ! _redis_cluster_wait "$timeout" redis_cluster_ready; then
        echo "redis_cluster_start: no cluster_state:ok within ${timeout}s; see $FG_LOGS/redis-cluster-<port>.log" >&2
        return 1
    fi
}

redis_cluster_stop() {
    local p pid pids=""
    for p in $(_redis_cluster_ports); do
        pid="$(cat "$FG_RUN/redis-cluster-$p.pid" 2>/dev/null)"
        # only a live redis-server (guards against a recycled pid)
        if [ -n "$pid" ] && grep -q redis-server "/proc/$pid/cmdline" 2>/dev/null; then
            kill "$pid" 2>/dev/null && pids="$pids $pid"
        fi
        rm -f "$FG_RUN/redis-cluster-$p.pid"
    done
    for _ in $(seq 100); do
        for pid in $pids; do kill -0 "$pid" 2>/dev/null && break; pid=""; done
        [ -z "$pid" ] && return 0
        sleep 0.1
    done
    for pid in $pids; do kill -9 "$pid" 2>/dev/null; done
    return 0
}

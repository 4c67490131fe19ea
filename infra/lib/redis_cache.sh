# shellcheck shell=bash
# The caches' Redis (settings.cache_redis_url): a second redis-server, run WITHOUT persistence, so
# that a restart brings it back empty and every timeline is rebuilt from the graph (a snapshot
# would bring back timelines that look complete but miss what was pushed after it). Sourced by
# infra/services.sh after redis.sh (it reuses _redis_spawn and _redis_cli); see
# infra/lib/CONTRACT.md. No top-level side effects.
#
# Defaults: FEEDGRAPH_REDIS_CACHE_PORT=6380, bound to 127.0.0.1, no password, no data directory
# contents (no AOF, no RDB), no maxmemory (sized like the durable one; see docs/SCALING.md).

redis_cache_port() { echo "${FEEDGRAPH_REDIS_CACHE_PORT:-6380}"; }

redis_cache_install() { redis_install; }

redis_cache_start() {
    if ! command -v redis-server >/dev/null 2>&1; then
        echo "redis_cache_start: redis-server not found; run redis_install first" >&2
        return 1
    fi
    mkdir -p "$FG_DATA/redis_cache" "$FG_LOGS" "$FG_RUN" || return 1
    _redis_spawn "$FG_LOGS/redis_cache.log" "$FG_RUN/redis_cache.pid" \
        redis-server \
        --port "$(redis_cache_port)" --bind 127.0.0.1 --protected-mode no \
        --dir "$FG_DATA/redis_cache" --daemonize no --logfile "" \
        --appendonly no --save ""
}

redis_cache_ready() {
    [ "$(_redis_cli "$(redis_cache_port)" PING 2>/dev/null)" = "PONG" ]
}

redis_cache_version() {
    local v
    v="$(_redis_cli "$(redis_cache_port)" INFO server 2>/dev/null | tr -d '\r' | sed -n 's/^redis_version://p')"
    echo "redis (caches, no persistence) ${v:-unknown}"
}

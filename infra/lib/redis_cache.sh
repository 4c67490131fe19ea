# shellcheck shell=bash
# The caches' Redis (settings.cache_redis_url): a second redis-server, run WITHOUT persistence, so
# that a restart brings it back empty and every timeline is rebuilt from the graph (a snapshot
# would bring back timelines that look complete but miss what was pushed after it). Sourced by
# infra/services.sh after redis.sh (it reuses _redis_serve and _redis_cli); see
# infra/lib/CONTRACT.md. No top-level side effects.
#
# Defaults: FEEDGRAPH_REDIS_CACHE_PORT=6380, bound to 127.0.0.1, no password, no data directory
# contents (no AOF, no RDB), no maxmemory (sized like the durable one; see docs/SCALING.md).

redis_cache_port() { echo "${FEEDGRAPH_REDIS_CACHE_PORT:-6380}"; }

redis_cache_install() { redis_install; }

redis_cache_start() {
    _redis_serve redis_cache "$(redis_cache_port)" --appendonly no --save ""
}

redis_cache_ready() {
    [ "$(_redis_cli "$(redis_cache_port)" PING 2>/dev/null)" = "PONG" ]
}

redis_cache_version() {
    local v
    v="$(_redis_cli "$(redis_cache_port)" INFO server 2>/dev/null | tr -d '\r' | sed -n 's/^redis_version://p')"
    echo "redis (caches, no persistence) ${v:-unknown}"
}

#!/usr/bin/env bash
# Local, Docker-less servers for FeedGraph: install, start, stop and report them.
#   infra/services.sh install|start|stop|status [server ...]
# Servers: redis redis_cache s3 neo4j opensearch (default: all). Pinned versions: infra/versions.env.
# Per-server work lives in infra/lib/<server>.sh (see infra/lib/CONTRACT.md); this file owns
# the shared parts: skipping what already runs, waiting for readiness, stopping, reporting.
set -uo pipefail

FG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FG_STATE="${FEEDGRAPH_STATE_DIR:-$FG_ROOT/.feedgraph}"
FG_LOGS="$FG_STATE/logs"; FG_RUN="$FG_STATE/run"; FG_DATA="$FG_STATE/data"; FG_OPT="$FG_STATE/opt"
export FG_ROOT FG_STATE FG_LOGS FG_RUN FG_DATA FG_OPT
mkdir -p "$FG_LOGS" "$FG_RUN" "$FG_DATA" "$FG_OPT"

# shellcheck source=/dev/null
source "$FG_ROOT/infra/versions.env"
# Settings shared with the app (same names, same defaults as core/settings.py).
if [ -f "$FG_ROOT/.env" ]; then set -a; source "$FG_ROOT/.env"; set +a; fi
export FEEDGRAPH_S3_ACCESS_KEY="${FEEDGRAPH_S3_ACCESS_KEY:-feedgraph}"
export FEEDGRAPH_S3_SECRET_KEY="${FEEDGRAPH_S3_SECRET_KEY:-feedgraph-secret-key}"

ALL_SERVERS=(redis redis_cache s3 neo4j opensearch)
for server in "${ALL_SERVERS[@]}"; do
  # shellcheck source=/dev/null
  source "$FG_ROOT/infra/lib/$server.sh"
done
# shellcheck source=/dev/null
source "$FG_ROOT/infra/lib/redis_cluster.sh"

# Seconds each server may take to answer after start (JVMs warm up slowly on 2 cores).
declare -A READY_TIMEOUT=([redis]=30 [redis_cache]=30 [s3]=30 [neo4j]=180 [opensearch]=240)

_pid_of() {
  local pidfile="$FG_RUN/$1.pid"
  [ -f "$pidfile" ] || return 1
  local pid; pid=$(cat "$pidfile")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

_port_taken() {
  # true when something listens on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

cmd_install() {
  local server rc=0
  for server in "$@"; do
    echo "• $server: install"
    if ! "${server}_install"; then
      echo "✗ $server: install failed (see messages above)" >&2; rc=1
    fi
  done
  return $rc
}

cmd_start() {
  local server rc=0
  local -A failed=()
  cmd_install "$@" || return 1
  for server in "$@"; do
    # Alive but not answering: still starting, or still stopping (a SHUTDOWN just sent). Give it a
    # few seconds to settle either way, so a stopping server is started again rather than awaited.
    for _ in $(seq 20); do
      { _pid_of "$server" >/dev/null && ! "${server}_ready"; } || break
      sleep 0.5
    done
    if _pid_of "$server" >/dev/null && "${server}_ready"; then
      echo "✓ $server already running (pid $(_pid_of "$server"), port $("${server}_port"))"; continue
    fi
    if ! _pid_of "$server" >/dev/null; then
      local port; port=$("${server}_port")
      if _port_taken "$port"; then
        echo "✗ $server: port $port is taken by another process (not ours); stop it or set FEEDGRAPH_${server^^}_PORT" >&2
        rc=1; failed[$server]=1; continue
      fi
      : >"$FG_LOGS/$server.log"
      "${server}_start" || { echo "✗ $server: failed to launch; log: $FG_LOGS/$server.log" >&2; rc=1; failed[$server]=1; continue; }
    fi
  done
  for server in "$@"; do
    [ -z "${failed[$server]:-}" ] || continue
    local deadline=$((SECONDS + ${READY_TIMEOUT[$server]}))
    until "${server}_ready"; do
      if ! _pid_of "$server" >/dev/null; then
        echo "✗ $server exited during start-up; last log lines ($FG_LOGS/$server.log):" >&2
        tail -n 20 "$FG_LOGS/$server.log" >&2; rc=1; continue 2
      fi
      if [ $SECONDS -ge "$deadline" ]; then
        echo "✗ $server did not answer within ${READY_TIMEOUT[$server]}s; log: $FG_LOGS/$server.log" >&2
        tail -n 20 "$FG_LOGS/$server.log" >&2; rc=1; continue 2
      fi
      sleep 0.5
    done
    echo "✓ $server ready on 127.0.0.1:$("${server}_port") (pid $(_pid_of "$server"))"
  done
  return $rc
}

cmd_stop() {
  local server
  for server in "$@"; do
    local pid
    if ! pid=$(_pid_of "$server"); then echo "• $server not running"; rm -f "$FG_RUN/$server.pid"; continue; fi
    kill -TERM "$pid" 2>/dev/null
    # JVMs flush their stores on TERM; give them time before forcing.
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; echo "• $server killed (did not stop in 30s)"; else echo "• $server stopped"; fi
    rm -f "$FG_RUN/$server.pid"
  done
}

cmd_status() {
  local server rc=0
  printf '%-11s %-8s %-7s %-8s %s\n' SERVER STATE PORT PID VERSION
  for server in "$@"; do
    local pid state version="-"
    if pid=$(_pid_of "$server"); then
      if "${server}_ready"; then state=up; version=$("${server}_version" 2>/dev/null || echo "?"); else state=starting; rc=1; fi
    else pid="-"; state=down; rc=1; fi
    printf '%-11s %-8s %-7s %-8s %s\n' "$server" "$state" "$("${server}_port")" "$pid" "$version"
  done
  echo "logs: $FG_LOGS"
  return $rc
}

action="${1:-status}"; shift || true
servers=("$@"); [ ${#servers[@]} -gt 0 ] || servers=("${ALL_SERVERS[@]}")
case "$action" in
  install) cmd_install "${servers[@]}" ;;
  start) cmd_start "${servers[@]}" ;;
  stop) cmd_stop "${servers[@]}" ;;
  restart) cmd_stop "${servers[@]}"; cmd_start "${servers[@]}" ;;
  status) cmd_status "${servers[@]}" ;;
  # The 3-master Redis Cluster used by the cluster tests (not part of the default set).
  cluster-start) redis_install && redis_cluster_start ;;
  cluster-stop) redis_cluster_stop ;;
  *) echo "usage: $0 install|start|stop|restart|status [redis redis_cache s3 neo4j opensearch] | cluster-start|cluster-stop" >&2; exit 2 ;;
esac

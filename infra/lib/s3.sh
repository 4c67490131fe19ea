# shellcheck shell=bash
# S3 server for local (Docker-less) runs: VersityGW (posix backend), built with `go install`.
# Sourced by infra/services.sh; see infra/lib/CONTRACT.md. No top-level side effects.
#
# Defaults (keep in sync with services.sh / the app's local settings):
#   FEEDGRAPH_S3_PORT=9000
#   FEEDGRAPH_S3_ACCESS_KEY=feedgraph
#   FEEDGRAPH_S3_SECRET_KEY=feedgraph-secret-key
#   region us-east-1 (VersityGW's default)

_s3_access_key() { echo "${FEEDGRAPH_S3_ACCESS_KEY:-feedgraph}"; }
_s3_secret_key() { echo "${FEEDGRAPH_S3_SECRET_KEY:-feedgraph-secret-key}"; }
_s3_bin() { echo "$FG_OPT/bin/versitygw"; }
_s3_stamp() { echo "$FG_OPT/versitygw.version"; }

s3_port() { echo "${FEEDGRAPH_S3_PORT:-9000}"; }

s3_version() { echo "versitygw ${VERSITYGW_VERSION:?VERSITYGW_VERSION not set (source infra/versions.env)}"; }

s3_install() {
    local version="${VERSITYGW_VERSION:-}" bin stamp log
    if [ -z "$version" ]; then
        echo "s3_install: VERSITYGW_VERSION is not set (source infra/versions.env)" >&2
        return 1
    fi
    bin="$(_s3_bin)"
    stamp="$(_s3_stamp)"
    if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
        return 0
    fi
    if ! command -v go >/dev/null 2>&1; then
        echo "s3_install: 'go' is not on PATH; VersityGW $version is built with 'go install' (needs Go >= 1.25)" >&2
        return 1
    fi
    mkdir -p "$FG_OPT/bin" "$FG_LOGS" || return 1
    log="$FG_LOGS/s3-install.log"
    echo "s3_install: building versitygw $version with $(go version | awk '{print $3}') (first build takes a few minutes)..." >&2
    if ! GOBIN="$FG_OPT/bin" go install "github.com/versity/versitygw/cmd/versitygw@$version" >"$log" 2>&1; then
        echo "s3_install: 'go install github.com/versity/versitygw/cmd/versitygw@$version' failed; last lines of $log:" >&2
        tail -n 20 "$log" >&2
        return 1
    fi
    if ! [ -x "$bin" ]; then
        echo "s3_install: go install succeeded but $bin is missing" >&2
        return 1
    fi
    echo "$version" >"$stamp"
}

# Run "$@" detached in its own session (survives the caller's exit and Ctrl-C), output appended
# to $1, pid written to $2 by the process itself (exact even if setsid has to fork).
_s3_spawn() {
    local log="$1" pidfile="$2"
    shift 2
    rm -f "$pidfile"
    # shellcheck disable=SC2016 # $$ and $@ are for the inner sh
    setsid sh -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$log" 2>&1 &
    for _ in $(seq 50); do [ -s "$pidfile" ] && return 0; sleep 0.05; done
    echo "could not start (no pid file $pidfile); see $log" >&2
    return 1
}

s3_start() {
    local bin
    bin="$(_s3_bin)"
    if ! [ -x "$bin" ]; then
        echo "s3_start: $bin not found; run s3_install first" >&2
        return 1
    fi
    # All S3 state lives under $FG_DATA/s3: buckets/ (one directory per bucket, objects as files)
    # and meta/ (object metadata: content-type, user metadata, ETag, ...). The sidecar directory
    # replaces user xattrs, so any filesystem works (tmpfs/overlay/NFS without xattrs). It must
    # not share a string prefix with the bucket root (versitygw v1.8.0 checks with HasPrefix).
    mkdir -p "$FG_DATA/s3/buckets" "$FG_DATA/s3/meta" "$FG_LOGS" "$FG_RUN" || return 1
    # Keys go in by environment (not argv); the *_ID variants would take precedence, so unset them.
    # --quiet: no per-request line on stdout (errors still go to the log).
    _s3_spawn "$FG_LOGS/s3.log" "$FG_RUN/s3.pid" \
        env -u ROOT_ACCESS_KEY_ID -u ROOT_SECRET_ACCESS_KEY \
        ROOT_ACCESS_KEY="$(_s3_access_key)" ROOT_SECRET_KEY="$(_s3_secret_key)" \
        "$bin" --port "127.0.0.1:$(s3_port)" --quiet \
        posix --sidecar "$FG_DATA/s3/meta" "$FG_DATA/s3/buckets"
}

s3_ready() {
    # Signed (SigV4) ListBuckets: 200 only from a real S3 endpoint that accepts our keys.
    # curl < 8.x does not add x-amz-content-sha256 by itself and VersityGW requires it:
    # send the SHA-256 of the empty body (it is then part of the signed headers).
    local code
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
        --aws-sigv4 "aws:amz:us-east-1:s3" \
        -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
        --user "$(_s3_access_key):$(_s3_secret_key)" \
        "http://127.0.0.1:$(s3_port)/" 2>/dev/null)"
    [ "$code" = "200" ]
}

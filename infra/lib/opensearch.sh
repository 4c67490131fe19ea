# shellcheck shell=bash
# OpenSearch (single node) for local development and CI, per infra/lib/CONTRACT.md.
#
# No Docker and no tarball download: infra/opensearch is a tiny Maven project whose launcher
# (io.feedgraph.infra.OpenSearchLauncher) runs an OpenSearch node in a plain JVM from the
# Maven Central artifacts (server + netty4, analysis-common, mapper-extras, painless modules).
# Versions come from infra/versions.env: OPENSEARCH_VERSION, LOG4J_VERSION.
#
# Settings (environment, optional):
#   FEEDGRAPH_OPENSEARCH_PORT            HTTP port on 127.0.0.1 (default 9200)
#   FEEDGRAPH_OPENSEARCH_TRANSPORT_PORT  node transport port on 127.0.0.1 (default 9300)
#   FEEDGRAPH_OPENSEARCH_HEAP            JVM heap, -Xms = -Xmx (default 512m)
#   JAVA_HOME                            Java 11+ to use (default: java on PATH)
# Layout: build in infra/opensearch/target (classes + lib/), node home and data in
# $FG_DATA/opensearch, log $FG_LOGS/opensearch.log, build log $FG_LOGS/opensearch-build.log.

opensearch_port() {
    echo "${FEEDGRAPH_OPENSEARCH_PORT:-9200}"
}

_opensearch_src() {
    echo "$FG_ROOT/infra/opensearch"
}

_opensearch_java() {
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
        echo "$JAVA_HOME/bin/java"
    else
        command -v java
    fi
}

# What a build depends on: the pins and the launcher's own sources.
_opensearch_fingerprint() {
    local src
    src=$(_opensearch_src)
    {
        echo "opensearch=${OPENSEARCH_VERSION:-} log4j=${LOG4J_VERSION:-}"
        (cd "$src" && find pom.xml src -type f | LC_ALL=C sort | xargs sha256sum)
    } | sha256sum | cut -d' ' -f1
}

_opensearch_built() {
    local src
    src=$(_opensearch_src)
    [ -f "$src/target/.feedgraph-build-stamp" ] \
        && [ -f "$src/target/classes/io/feedgraph/infra/OpenSearchLauncher.class" ] \
        && [ -f "$src/target/lib/opensearch-${OPENSEARCH_VERSION}.jar" ] \
        && [ "$(cat "$src/target/.feedgraph-build-stamp")" = "$(_opensearch_fingerprint)" ]
}

opensearch_install() {
    local src java jver mvn log
    src=$(_opensearch_src)
    if [ -z "${OPENSEARCH_VERSION:-}" ] || [ -z "${LOG4J_VERSION:-}" ]; then
        echo "opensearch: OPENSEARCH_VERSION / LOG4J_VERSION not set (source infra/versions.env)" >&2
        return 1
    fi
    java=$(_opensearch_java) || true
    if [ -z "$java" ]; then
        echo "opensearch: java not found (need Java 11+; e.g. apt-get install openjdk-17-jdk-headless)" >&2
        return 1
    fi
    jver=$("$java" -XshowSettings:properties -version 2>&1 \
        | sed -n 's/^ *java\.specification\.version = \([0-9.]*\).*/\1/p')
    jver=${jver#1.}
    jver=${jver%%.*}
    if [ -z "$jver" ] || [ "$jver" -lt 11 ]; then
        echo "opensearch: $java is Java '${jver:-?}'; OpenSearch ${OPENSEARCH_VERSION} needs Java 11+" >&2
        return 1
    fi
    if _opensearch_built; then
        return 0
    fi
    # A rebuild wipes target/, i.e. the jars a running node still loads classes from.
    if [ -f "$FG_RUN/opensearch.pid" ] && kill -0 "$(cat "$FG_RUN/opensearch.pid")" 2>/dev/null; then
        echo "opensearch: the build is out of date (pin or launcher changed) but the node is running" \
            "(pid $(cat "$FG_RUN/opensearch.pid")); stop it first, then install/start again" >&2
        return 1
    fi
    mvn=$(command -v mvn) || true
    if [ -z "$mvn" ]; then
        echo "opensearch: mvn not found (needed to build infra/opensearch; e.g. apt-get install maven)" >&2
        return 1
    fi
    mkdir -p "$FG_LOGS"
    log="$FG_LOGS/opensearch-build.log"
    echo "opensearch: building launcher for OpenSearch ${OPENSEARCH_VERSION} (log: $log)" >&2
    # clean: copy-dependencies never removes jars of a previous pin from target/lib.
    if ! (cd "$src" && "$mvn" -B -q -Dstyle.color=never clean package \
            "-Dopensearch.version=${OPENSEARCH_VERSION}" "-Dlog4j.version=${LOG4J_VERSION}") \
            >"$log" 2>&1; then
        echo "opensearch: maven build failed in $src; last lines of $log:" >&2
        sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -v -e '^\[ERROR\] *$' -e 'Re-run Maven' \
            -e 'full stack trace' -e 'please read the following' -e '^\[ERROR\] \[Help 1\]' -e '^[[:space:]]*$' \
            | tail -n 15 >&2
        return 1
    fi
    if [ ! -f "$src/target/lib/opensearch-${OPENSEARCH_VERSION}.jar" ]; then
        echo "opensearch: build finished but $src/target/lib/opensearch-${OPENSEARCH_VERSION}.jar is missing" >&2
        return 1
    fi
    _opensearch_fingerprint >"$src/target/.feedgraph-build-stamp"
}

opensearch_start() {
    local src java home heap
    src=$(_opensearch_src)
    if ! _opensearch_built; then
        echo "opensearch: launcher not built for ${OPENSEARCH_VERSION:-?} (run opensearch_install)" >&2
        return 1
    fi
    java=$(_opensearch_java)
    home="$FG_DATA/opensearch"
    heap="${FEEDGRAPH_OPENSEARCH_HEAP:-512m}"
    mkdir -p "$home/data" "$home/logs" "$home/tmp" "$FG_LOGS" "$FG_RUN"
    # The JVM options a distribution's jvm.options would give, minus GC/heap-dump files.
    setsid "$java" \
        "-Xms$heap" "-Xmx$heap" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
        -XX:-OmitStackTraceInFastThrow -Dfile.encoding=UTF-8 -Djava.awt.headless=true \
        -Djna.nosys=true -Djava.locale.providers=SPI,CLDR \
        -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true \
        -Dio.netty.recycler.maxCapacityPerThread=0 -Dio.netty.allocator.numDirectArenas=0 \
        -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true \
        "-Djava.io.tmpdir=$home/tmp" "-Dfeedgraph.pidfile=$FG_RUN/opensearch.pid" \
        -cp "$src/target/classes:$src/target/lib/*" io.feedgraph.infra.OpenSearchLauncher \
        "path.home=$home" "path.data=$home/data" "path.logs=$home/logs" \
        "http.port=$(opensearch_port)" "transport.port=${FEEDGRAPH_OPENSEARCH_TRANSPORT_PORT:-9300}" \
        network.host=127.0.0.1 discovery.type=single-node \
        cluster.name=feedgraph-dev node.name=feedgraph-dev-node \
        cluster.routing.allocation.disk.threshold_enabled=false \
        </dev/null >"$FG_LOGS/opensearch.log" 2>&1 &
    # The launcher rewrites this with its own pid (the same one, unless setsid had to fork).
    echo $! >"$FG_RUN/opensearch.pid"
}

opensearch_ready() {
    local base root health
    if ! command -v curl >/dev/null 2>&1; then
        echo "opensearch: curl not found (apt-get install curl)" >&2
        return 1
    fi
    base="http://127.0.0.1:$(opensearch_port)"
    root=$(curl -fsS -m 3 "$base/" 2>/dev/null) || return 1
    printf '%s' "$root" | grep -Eq '"distribution"[[:space:]]*:[[:space:]]*"opensearch"' || return 1
    health=$(curl -fsS -m 3 "$base/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null) \
        || return 1
    printf '%s' "$health" | grep -Eq '"status"[[:space:]]*:[[:space:]]*"(green|yellow)"'
}

opensearch_version() {
    local v=""
    if command -v curl >/dev/null 2>&1; then
        v=$(curl -fsS -m 3 "http://127.0.0.1:$(opensearch_port)/" 2>/dev/null \
            | sed -n 's/.*"number"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' | head -n 1) || true
    fi
    echo "${v:-${OPENSEARCH_VERSION:-}}"
}

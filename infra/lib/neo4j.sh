# shellcheck shell=bash
# Local Neo4j for FeedGraph: Neo4j Community (embedded) + Bolt, built by Maven from infra/neo4j/.
# Implements the contract in infra/lib/CONTRACT.md (sourced by infra/services.sh; functions only).
#
# Settings (env):
#   FEEDGRAPH_NEO4J_PORT       Bolt port on 127.0.0.1 (default 7687)
#   FEEDGRAPH_NEO4J_AUTH       false (default) or true: auth on with FEEDGRAPH_NEO4J_USER/PASSWORD
#                              (the same settings the app uses; password >= 8 chars,
#                              set as the initial password while the user still has the factory one)
#   FEEDGRAPH_NEO4J_HEAP       JVM max heap, -Xmx (default 512m)
#   FEEDGRAPH_NEO4J_HEAP_MIN   JVM initial heap, -Xms (default 128m; = HEAP costs ~250 MB more RSS)
#   FEEDGRAPH_NEO4J_PAGECACHE  page cache size (default 256m)
# Pinned version: NEO4J_VERSION in infra/versions.env, passed to Maven as -Dneo4j.version.
# Build output: infra/neo4j/target/{classes,lib} (git-ignored). Data: $FG_DATA/neo4j. Log: $FG_LOGS/neo4j.log
# (Neo4j's own debug log: $FG_DATA/neo4j/logs/debug.log).

neo4j_port() {
    echo "${FEEDGRAPH_NEO4J_PORT:-7687}"
}

neo4j_version() {
    echo "${NEO4J_VERSION:?NEO4J_VERSION is not set (source infra/versions.env)}"
}

_neo4j_dir() {
    echo "$FG_ROOT/infra/neo4j"
}

# Print the java binary to use (JAVA_HOME first, then PATH); fail with a message if none or too old.
_neo4j_java() {
    local java major
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
        java="$JAVA_HOME/bin/java"
    elif ! java="$(command -v java)"; then
        echo "neo4j: 'java' not found (Neo4j 5.26 needs a JDK/JRE 17 or 21; e.g. apt-get install openjdk-17-jdk-headless)" >&2
        return 1
    fi
    major="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
    if [[ ! "$major" =~ ^[0-9]+$ ]] || ((major < 17)); then
        echo "neo4j: $java is Java '${major:-unknown}', Neo4j 5.26 needs Java 17 or 21" >&2
        return 1
    fi
    echo "$java"
}

# What the current build must match: pinned version + hash of the launcher sources.
_neo4j_stamp_value() {
    local dir
    dir="$(_neo4j_dir)"
    printf 'neo4j.version=%s sources=%s\n' "$NEO4J_VERSION" \
        "$(cd "$dir" && find pom.xml src -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
}

neo4j_install() {
    local dir stamp want buildlog
    dir="$(_neo4j_dir)"
    stamp="$dir/target/.feedgraph-build-stamp"
    if [[ -z "${NEO4J_VERSION:-}" ]]; then
        echo "neo4j: NEO4J_VERSION is not set (source infra/versions.env)" >&2
        return 1
    fi
    if [[ ! -f "$dir/pom.xml" ]]; then
        echo "neo4j: $dir/pom.xml is missing" >&2
        return 1
    fi
    want="$(_neo4j_stamp_value)"
    if [[ -f "$dir/target/classes/io/feedgraph/infra/Neo4jLauncher.class" \
        && -f "$dir/target/lib/neo4j-kernel-$NEO4J_VERSION.jar" \
        && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0 # up to date
    fi

    _neo4j_java >/dev/null || return 1
    if ! command -v mvn >/dev/null 2>&1; then
        echo "neo4j: 'mvn' not found (needs Maven 3.6+; e.g. apt-get install maven)" >&2
        return 1
    fi

    mkdir -p "$FG_LOGS"
    buildlog="$FG_LOGS/neo4j-build.log"
    echo "neo4j: building the Neo4j $NEO4J_VERSION launcher with Maven (first time downloads ~150 MB to ~/.m2) ..." >&2
    # Old jars of another version would stay on the classpath: start from a clean target/.
    rm -rf "$dir/target"
    if ! mvn -B -q -Dstyle.color=never -f "$dir/pom.xml" -Dneo4j.version="$NEO4J_VERSION" package >"$buildlog" 2>&1; then
        echo "neo4j: Maven build of infra/neo4j failed (Neo4j $NEO4J_VERSION); last lines of $buildlog:" >&2
        tail -n 25 "$buildlog" >&2
        return 1
    fi
    if [[ ! -f "$dir/target/lib/neo4j-kernel-$NEO4J_VERSION.jar" ]]; then
        echo "neo4j: Maven succeeded but $dir/target/lib/neo4j-kernel-$NEO4J_VERSION.jar is missing (see $buildlog)" >&2
        return 1
    fi
    echo "$want" >"$stamp"
}

neo4j_start() {
    local dir java heap heap_min port auth user="neo4j" password="" pidfile log i
    dir="$(_neo4j_dir)"
    java="$(_neo4j_java)" || return 1
    if [[ ! -d "$dir/target/classes" || ! -d "$dir/target/lib" ]]; then
        echo "neo4j: not built yet (run the install step: neo4j_install)" >&2
        return 1
    fi
    heap="${FEEDGRAPH_NEO4J_HEAP:-512m}"
    heap_min="${FEEDGRAPH_NEO4J_HEAP_MIN:-128m}"
    port="$(neo4j_port)"
    # The app's own settings decide: FEEDGRAPH_NEO4J_AUTH=true|false, FEEDGRAPH_NEO4J_USER/PASSWORD.
    auth="none"
    case "${FEEDGRAPH_NEO4J_AUTH:-false}" in
        true | True | TRUE | 1 | yes | on)
            user="${FEEDGRAPH_NEO4J_USER:-neo4j}"
            password="${FEEDGRAPH_NEO4J_PASSWORD:-}"
            if ((${#password} < 8)); then
                echo "neo4j: FEEDGRAPH_NEO4J_AUTH=true needs FEEDGRAPH_NEO4J_PASSWORD of at least 8 characters" >&2
                return 1
            fi
            auth="$user/$password"
            ;;
        false | False | FALSE | 0 | no | off | "") ;;
        *)
            echo "neo4j: FEEDGRAPH_NEO4J_AUTH must be true or false (got '${FEEDGRAPH_NEO4J_AUTH}')" >&2
            return 1
            ;;
    esac
    pidfile="$FG_RUN/neo4j.pid"
    log="$FG_LOGS/neo4j.log"
    mkdir -p "$FG_DATA/neo4j" "$FG_LOGS" "$FG_RUN"
    rm -f "$pidfile"
    echo "=== $(date -u +%FT%TZ) starting Neo4j $NEO4J_VERSION on 127.0.0.1:$port (auth=${auth%%/*}, heap=$heap)" >>"$log"

    # New session (survives the calling shell); the wrapper writes its own pid, then execs java,
    # so the pid file holds the JVM's pid even if setsid had to fork. The password goes through the
    # environment, not the command line.
    # shellcheck disable=SC2016 # $$/$0/$@ belong to the inner bash
    FEEDGRAPH_NEO4J_INITIAL_PASSWORD="$password" setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" \
        "$java" \
        -Xms"$heap_min" -Xmx"$heap" \
        -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -XX:-OmitStackTraceInFastThrow \
        -Djdk.nio.maxCachedBufferSize=1024 -Dio.netty.tryReflectionSetAccessible=true \
        -Dlog4j2.disable.jmx=true -Dfile.encoding=UTF-8 \
        --add-opens=java.base/java.nio=ALL-UNNAMED \
        --add-opens=java.base/java.io=ALL-UNNAMED \
        --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
        -cp "$dir/target/classes:$dir/target/lib/*" \
        io.feedgraph.infra.Neo4jLauncher \
        --home="$FG_DATA/neo4j" \
        --host=127.0.0.1 \
        --port="$port" \
        --pagecache="${FEEDGRAPH_NEO4J_PAGECACHE:-256m}" \
        --auth="$([[ "$auth" == none ]] && echo false || echo true)" \
        --user="$user" \
        </dev/null >>"$log" 2>&1 &
    for ((i = 0; i < 50; i++)); do
        [[ -s "$pidfile" ]] && return 0
        sleep 0.1
    done
    echo "neo4j: failed to launch java (no pid file $pidfile; see $log)" >&2
    return 1
}

# One Bolt handshake: magic 0x6060B017 + 4 version proposals (5.0-5.8, 4.2-4.4, 4.1, 3.0);
# the server must answer with a non-zero agreed version (00 00 minor major).
neo4j_ready() {
    local port reply
    port="$(neo4j_port)"
    # shellcheck disable=SC2016 # $0 belongs to the inner bash
    reply="$(timeout 2 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
        printf "\x60\x60\xb0\x17\x00\x08\x08\x05\x00\x02\x04\x04\x00\x00\x01\x04\x00\x00\x00\x03" >&3
        head -c 4 <&3 | od -An -tx1 | tr -d " \n"
    ' "$port" 2>/dev/null)" || return 1
    [[ "$reply" =~ ^0000[0-9a-f]{2}0[1-9a-f]$ ]]
}

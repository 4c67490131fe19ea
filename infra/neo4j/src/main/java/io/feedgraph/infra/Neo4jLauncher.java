package io.feedgraph.infra;

import java.nio.file.Files;
import java.time.Duration;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.neo4j.cli.ExecutionContext;
import org.neo4j.commandline.admin.security.SetInitialPasswordCommand;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.SettingValueParsers;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Result;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;

import picocli.CommandLine;

/**
 * FeedGraph local Neo4j: Neo4j Community embedded with the Bolt connector, as a normal single server
 * (databases {@code system} + default {@code neo4j}).
 *
 * <p>Configuration: system properties {@code -Dfeedgraph.neo4j.<name>=value} or arguments {@code --<name>=value}
 * (arguments win):
 * <ul>
 *   <li>{@code home}      Neo4j home, data goes to {@code <home>/data}, Neo4j's debug log to {@code <home>/logs}
 *                         (default {@code ./neo4j-home})</li>
 *   <li>{@code host}      Bolt listen host (default 127.0.0.1)</li>
 *   <li>{@code port}      Bolt listen port (default 7687)</li>
 *   <li>{@code pagecache} page cache size, e.g. 256m (default 256m)</li>
 *   <li>{@code auth}      true/false (default false)</li>
 *   <li>{@code user}      user whose initial password is set when auth is on (default neo4j)</li>
 *   <li>{@code password}  initial password when auth is on (min. 8 characters); applied only while the user
 *                         still has the factory password (password change required) or does not exist yet;
 *                         also read from env FEEDGRAPH_NEO4J_INITIAL_PASSWORD (keeps it off the command line)</li>
 *   <li>{@code conf}      optional neo4j.conf-style file with extra settings</li>
 *   <li>{@code set}       extra raw Neo4j setting {@code key=value} (argument only; repeat for several)</li>
 * </ul>
 * The heap is bounded on the java command line (-Xmx). Prints {@code FEEDGRAPH NEO4J READY ...} on stdout when
 * Bolt accepts connections; SIGTERM/SIGINT shut the DBMS down cleanly.
 */
public final class Neo4jLauncher {

    private static final String PREFIX = "feedgraph.neo4j.";

    private Neo4jLauncher() {}

    public static void main(String[] args) {
        Map<String, String> opts = new LinkedHashMap<>();
        Map<String, String> raw = new LinkedHashMap<>();
        for (String name : List.of("home", "host", "port", "pagecache", "auth", "user", "password", "conf")) {
            String v = System.getProperty(PREFIX + name);
            if (v != null) {
                opts.put(name, v);
            }
        }
        for (String arg : args) {
            if (!arg.startsWith("--") || !arg.contains("=")) {
                die("unknown argument '" + arg + "' (expected --name=value)", null);
            }
            String name = arg.substring(2, arg.indexOf('='));
            String value = arg.substring(arg.indexOf('=') + 1);
            if (name.equals("set")) {
                int eq = value.indexOf('=');
                if (eq <= 0) {
                    die("--set needs key=value, got '" + value + "'", null);
                }
                raw.put(value.substring(0, eq), value.substring(eq + 1));
            } else {
                opts.put(name, value);
            }
        }

        Path home = Path.of(opts.getOrDefault("home", "neo4j-home")).toAbsolutePath().normalize();
        String host = opts.getOrDefault("host", "127.0.0.1");
        int port = Integer.parseInt(opts.getOrDefault("port", "7687"));
        String pagecache = opts.getOrDefault("pagecache", "256m");
        boolean auth = Boolean.parseBoolean(opts.getOrDefault("auth", "false"));
        String user = opts.getOrDefault("user", "neo4j");
        String password = opts.getOrDefault("password", System.getenv("FEEDGRAPH_NEO4J_INITIAL_PASSWORD"));

        long started = System.nanoTime();
        DatabaseManagementService dbms;
        try {
            Files.createDirectories(home);
            if (auth && password != null && !password.isEmpty() && user.equals("neo4j")
                    && !Files.exists(home.resolve("data").resolve("databases").resolve("system"))) {
                // First start with auth: seed the password like `neo4j-admin dbms set-initial-password`, so
                // Bolt never accepts connections while user neo4j still has the factory password.
                int rc = new CommandLine(new SetInitialPasswordCommand(new ExecutionContext(home, home.resolve("conf"))))
                        .execute(password);
                if (rc != 0) {
                    die("could not set the initial password (at least 8 characters?)", null);
                }
            }
            DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home)
                    // Neo4j's user log (the neo4j.log of a packaged server) goes to stdout.
                    .setUserLogProvider(new Log4jLogProvider(System.out, Level.INFO))
                    .setConfig(GraphDatabaseSettings.initial_default_database, "neo4j")
                    .setConfig(BoltConnector.enabled, true)
                    .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
                    .setConfig(BoltConnector.advertised_address, new SocketAddress(host, port))
                    .setConfig(HttpConnector.enabled, false)
                    .setConfig(HttpsConnector.enabled, false)
                    .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                    .setConfig(GraphDatabaseSettings.udc_enabled, false) // no usage-data phone-home
                    .setConfig(GraphDatabaseSettings.pagecache_memory, SettingValueParsers.BYTES.parse(pagecache))
                    // Small transaction logs: keep 1 rotated file, rotate at 16 MiB, do not preallocate
                    // (the default preallocates 256 MiB per database).
                    .setConfig(GraphDatabaseSettings.keep_logical_logs, "1 files")
                    .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, SettingValueParsers.BYTES.parse("16m"))
                    .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                    // Netty's graceful Bolt shutdown otherwise adds ~10 s to every stop (internal settings).
                    .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                    .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(2));
            if (opts.containsKey("conf")) {
                builder.loadPropertiesFromFile(Path.of(opts.get("conf")));
            }
            if (!raw.isEmpty()) {
                // the embedded builder has no raw-string setter: go through a properties file
                StringBuilder sb = new StringBuilder("# written by Neo4jLauncher from --set arguments\n");
                raw.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
                Path extra = home.resolve("feedgraph-extra.conf");
                Files.writeString(extra, sb.toString());
                builder.loadPropertiesFromFile(extra);
            }
            dbms = builder.build();
        } catch (Throwable e) {
            die("failed to start Neo4j in " + home, e);
            return;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("FEEDGRAPH NEO4J stopping");
            System.out.flush();
            try {
                dbms.shutdown();
                System.out.println("FEEDGRAPH NEO4J stopped");
            } catch (Throwable e) {
                System.out.println("FEEDGRAPH NEO4J shutdown error: " + e);
            } finally {
                System.out.flush();
                stopped.countDown();
            }
        }, "feedgraph-neo4j-shutdown"));

        try {
            GraphDatabaseService db = dbms.database("neo4j");
            if (!db.isAvailable(TimeUnit.MINUTES.toMillis(2))) {
                die("default database 'neo4j' did not become available", null);
            }
            if (auth && password != null && !password.isEmpty()) {
                applyInitialPassword(dbms.database("system"), user, password);
            }
            String version = db.executeTransactionally(
                    "CALL dbms.components() YIELD name, versions, edition "
                            + "RETURN name + ' ' + versions[0] + ' ' + edition AS v",
                    Map.of(), r -> r.hasNext() ? (String) r.next().get("v") : "unknown");
            System.out.printf("FEEDGRAPH NEO4J READY bolt://%s:%d (%s, auth=%s, home=%s, started in %d ms)%n",
                    host, port, version, auth ? "on" : "off", home,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            System.out.flush();
        } catch (Throwable e) {
            die("Neo4j started but the startup checks failed", e);
        }

        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Later starts (or a user other than neo4j): set the initial password over the system database, but never
     * overwrite a password somebody already changed. (Bolt is already up at this point.)
     */
    private static void applyInitialPassword(GraphDatabaseService system, String user, String password) {
        Boolean changeRequired = system.executeTransactionally(
                "SHOW USERS YIELD user, passwordChangeRequired WHERE user = $user RETURN passwordChangeRequired",
                Map.of("user", user),
                (Result r) -> r.hasNext() ? (Boolean) r.next().get("passwordChangeRequired") : null);
        if (changeRequired == null) {
            system.executeTransactionally(
                    "CREATE USER $user SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("user", user, "password", password));
            System.out.println("FEEDGRAPH NEO4J created user '" + user + "'");
        } else if (changeRequired) {
            system.executeTransactionally(
                    "ALTER USER $user SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("user", user, "password", password));
            System.out.println("FEEDGRAPH NEO4J initial password set for user '" + user + "'");
        }
    }

    private static void die(String message, Throwable cause) {
        System.out.println("FEEDGRAPH NEO4J FAILED: " + message + (cause != null ? ": " + cause : ""));
        if (cause != null) {
            cause.printStackTrace(System.out);
        }
        System.out.flush();
        System.exit(1); // runs the shutdown hook (clean DBMS shutdown) if the DBMS was already built
    }
}

package io.feedgraph.infra;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * Runs a single-node OpenSearch in this JVM from the Maven artifacts on the classpath, with the
 * modules a distribution would load from its modules/ directory passed as classpath plugins.
 * It bypasses OpenSearch's Bootstrap on purpose: no security manager, no JarHell check, no
 * bootstrap checks (mmap count, file descriptors, ...), which suit a loopback dev/CI node.
 *
 * <p>Usage: {@code java -cp target/classes:target/lib/* io.feedgraph.infra.OpenSearchLauncher
 * path.home=DIR [setting=value ...]}. Each argument is an OpenSearch setting and overrides the
 * defaults below. Stops cleanly on SIGTERM/SIGINT (node.close()). With
 * {@code -Dfeedgraph.pidfile=FILE} it writes its pid there first.
 */
public final class OpenSearchLauncher {

    private static final List<Class<? extends Plugin>> PLUGINS = List.of(
            Netty4Plugin.class,         // HTTP (REST) and transport
            CommonAnalysisPlugin.class, // stemmer, edge_ngram, synonym, ...
            MapperExtrasPlugin.class,         // search_as_you_type, rank_feature, scaled_float, ...
            PainlessPlugin.class);            // painless scripts

    private OpenSearchLauncher() {}

    /** A Node with classpath plugins; Node's constructor for that is protected. */
    private static final class LocalNode extends Node {
        LocalNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }
    }

    public static void main(String[] args) throws Exception {
        // The start script writes $! as the pid; make sure it is this JVM's even if setsid forked.
        String pidFile = System.getProperty("feedgraph.pidfile");
        if (pidFile != null && !pidFile.isEmpty()) {
            Files.writeString(Paths.get(pidFile), ProcessHandle.current().pid() + "\n");
        }
        Settings.Builder builder = Settings.builder()
                .put("cluster.name", "feedgraph-dev")
                .put("node.name", "feedgraph-dev-node")
                .put("discovery.type", "single-node")
                .put("network.host", "127.0.0.1")
                .put("http.port", "9200")
                .put("transport.port", "9300")
                .put("cluster.routing.allocation.disk.threshold_enabled", "false")
                .put("action.destructive_requires_name", "false");
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected setting=value, got: " + arg);
            }
            builder.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Settings settings = builder.build();
        String home = settings.get("path.home");
        if (home == null) {
            throw new IllegalArgumentException("path.home=DIR is required");
        }
        Path homeDir = Paths.get(home).toAbsolutePath();
        // A distribution's layout; OpenSearch expects these directories to exist.
        for (String dir : new String[] {"config", "plugins", "modules", "data", "logs"}) {
            Files.createDirectories(homeDir.resolve(dir));
        }
        if (settings.get("path.data") == null) {
            builder.put("path.data", homeDir.resolve("data").toString());
        }
        if (settings.get("path.logs") == null) {
            builder.put("path.logs", homeDir.resolve("logs").toString());
        }
        for (String key : new String[] {"path.data", "path.logs"}) {
            Files.createDirectories(Paths.get(builder.get(key)));
        }
        builder.put("path.home", homeDir.toString());
        System.setProperty("opensearch.path.home", homeDir.toString());

        Environment environment = InternalSettingsPreparer.prepareEnvironment(
                builder.build(), Collections.emptyMap(), homeDir.resolve("config"), () -> "feedgraph-dev-node");
        Logger logger = LogManager.getLogger(OpenSearchLauncher.class);

        Node node = new LocalNode(environment, PLUGINS);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            logger.info("stopping OpenSearch node");
            try {
                node.close();
                node.awaitClose(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                logger.warn("error while stopping OpenSearch node", e);
            } finally {
                logger.info("OpenSearch node stopped");
                stopped.countDown();
                org.apache.logging.log4j.core.config.Configurator.shutdown(
                        (org.apache.logging.log4j.core.LoggerContext) LogManager.getContext(false));
            }
        }, "feedgraph-opensearch-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        try {
            node.start();
        } catch (Throwable t) {
            logger.error("OpenSearch node failed to start", t);
            Runtime.getRuntime().removeShutdownHook(hook);
            try {
                node.close();
            } catch (Throwable ignored) {
                // already failing
            }
            System.exit(1);
        }
        logger.info("OpenSearch {} started: http://{}:{}/", org.opensearch.Version.CURRENT,
                settings.get("network.host", "127.0.0.1"), settings.get("http.port", "9200"));
        stopped.await();
    }
}

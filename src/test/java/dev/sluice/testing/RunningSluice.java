package dev.sluice.testing;

import dev.sluice.config.Config;
import dev.sluice.config.Secret;
import dev.sluice.server.SluiceServer;
import dev.sluice.web.Endpoints;
import java.net.URI;
import org.eclipse.jetty.server.Server;

/** Sluice itself on embedded Jetty, on a loopback ephemeral port, for one test class or test. */
public final class RunningSluice implements AutoCloseable {

    /** A key shaped like a real one, so redaction by pattern and by value are both exercised. */
    public static final String KEY = "sk-test-Zq8xR2vL9mW4nT7pK3jH5bF1";

    private final Server server;
    private final Config config;

    public RunningSluice(Config config) throws Exception {
        this.config = config;
        this.server = SluiceServer.createServer(config);
        server.start();
    }

    /** Sluice relaying to {@code upstream} with {@link #KEY}. */
    public static RunningSluice relayingTo(URI upstream) throws Exception {
        return new RunningSluice(config(upstream, new Secret(KEY)));
    }

    /** The test defaults: loopback, port 0, small simulated delay, no retries. */
    public static Config config(URI upstream, Secret key) {
        return TestConfig.relayingTo(upstream, key).build();
    }

    public Server server() {
        return server;
    }

    public Config config() {
        return config;
    }

    /** An absolute URI for a path on this server, e.g. {@code /v1/chat/completions}. */
    public URI uri(String path) {
        return URI.create(SluiceServer.url(server)).resolve(path);
    }

    /** Fails unless every stream has ended and let go of its upstream, waiting up to 5 s. */
    public void assertNoStreamLeftOpen() throws InterruptedException {
        Endpoints endpoints = server.getBean(Endpoints.class);
        for (int i = 0; i < 500 && endpoints.openStreams() > 0; i++) {
            Thread.sleep(10); // a stream ends just after its client has read the last byte
        }
        if (endpoints.openStreams() > 0) {
            throw new AssertionError(endpoints.openStreams() + " streams still open");
        }
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}

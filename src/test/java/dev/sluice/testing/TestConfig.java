package dev.sluice.testing;

import dev.sluice.config.Config;
import dev.sluice.config.Retries;
import dev.sluice.config.Secret;
import dev.sluice.config.Timeouts;
import java.net.URI;
import java.time.Duration;

/** Builds a {@link Config} for a test: loopback, port 0, no retries, unless the test says. */
public final class TestConfig {

    private URI upstream;
    private Secret key;
    private Timeouts timeouts = Timeouts.DEFAULTS;
    private Retries retries = new Retries(0, Duration.ofMillis(10), Duration.ofSeconds(1));
    private Duration shutdownGrace = Duration.ofSeconds(5);
    private int maxLineBytes = 1 << 20;

    private TestConfig(URI upstream, Secret key) {
        this.upstream = upstream;
        this.key = key;
    }

    /** Relaying to {@code upstream} (null: the simulated upstream) with {@code key} (or none). */
    public static TestConfig relayingTo(URI upstream, Secret key) {
        return new TestConfig(upstream, key);
    }

    public TestConfig timeouts(Timeouts timeouts) {
        this.timeouts = timeouts;
        return this;
    }

    public TestConfig retries(Retries retries) {
        this.retries = retries;
        return this;
    }

    public TestConfig shutdownGrace(Duration grace) {
        this.shutdownGrace = grace;
        return this;
    }

    public TestConfig maxLineBytes(int bytes) {
        this.maxLineBytes = bytes;
        return this;
    }

    public Config build() {
        return new Config("127.0.0.1", 0, upstream, key, timeouts, retries, shutdownGrace,
                maxLineBytes, 1 << 20, Duration.ofMillis(1), "gpt-test");
    }
}

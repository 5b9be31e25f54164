package dev.sluice.testing;

import dev.sluice.config.Sharing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What a test of Sluices sharing one Redis needs: a redis-server of its own and a client,
 * started before each test, and everything the test hands to {@link #closing} closed after it,
 * the last first, before the client and the server.
 */
public final class SharedRig implements BeforeEachCallback, AfterEachCallback {

    private final List<AutoCloseable> closing = new ArrayList<>();
    private RedisServer redis;
    private TestClient client;

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        redis = RedisServer.start();
        client = new TestClient();
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (redis == null) {
            return; // skipped: no redis-server here, so nothing else was started
        }
        redis.resume(); // a test that failed may have left it paused
        client.close();
        for (AutoCloseable each : closing.reversed()) {
            each.close();
        }
        closing.clear();
        redis.close();
        redis = null;
    }

    public RedisServer redis() {
        return redis;
    }

    public TestClient client() {
        return client;
    }

    /** Closed after the test, in the reverse of the order given. */
    public <T extends AutoCloseable> T closing(T each) {
        closing.add(each);
        return each;
    }

    /** Sharing through this server on {@code port} (its own, or a proxy's), as tests set it. */
    public static Sharing sharing(int port, Duration timeout, Duration lease) {
        return new Sharing("127.0.0.1", port, false, 0, null, null, "sluice:", timeout, lease,
                true, false);
    }

    /** Sharing through this server with the given timeout and a 30 s lease. */
    public Sharing sharing(Duration timeout) {
        return sharing(redis.port(), timeout, Duration.ofSeconds(30));
    }
}

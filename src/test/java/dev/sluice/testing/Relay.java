package dev.sluice.testing;

import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sluice.config.Config;
import dev.sluice.config.Secret;
import java.net.URI;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A fake upstream, Sluice relaying to it and a client, started per test and stopped after it;
 * a test fails if the upstream's script failed or a stream was left open. Register with
 * {@code @RegisterExtension}.
 */
public final class Relay implements AfterEachCallback {

    private FakeUpstream upstream;
    private RunningSluice sluice;
    private TestClient client;

    /** Starts an upstream with {@code script} and Sluice relaying to it with the test key. */
    public URI start(FakeUpstream.Script script) throws Exception {
        upstream = new FakeUpstream(script);
        return start(RunningSluice.config(upstream.baseUrl(), new Secret(RunningSluice.KEY)));
    }

    /** Starts Sluice with {@code config}, returning its chat completions URI. */
    public URI start(Config config) throws Exception {
        sluice = new RunningSluice(config);
        client = new TestClient();
        return sluice.uri("/v1/chat/completions");
    }

    /** Starts an upstream with {@code script}; the test then starts Sluice with its own config. */
    public FakeUpstream upstream(FakeUpstream.Script script) throws Exception {
        upstream = new FakeUpstream(script);
        return upstream;
    }

    public FakeUpstream upstream() {
        return upstream;
    }

    /** Sluice's base URL, without a trailing slash. */
    public String sluiceUrl() {
        String url = sluice.uri("/").toString();
        return url.substring(0, url.length() - 1);
    }

    /** Waits until every stream has ended (its transcript and usage are then recorded). */
    public void sluiceStreamsDone() throws InterruptedException {
        sluice.assertNoStreamLeftOpen();
    }

    public RunningSluice sluice() {
        return sluice;
    }

    public TestClient client() {
        return client;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (client != null) {
            client.close();
        }
        if (sluice != null) {
            try {
                sluice.assertNoStreamLeftOpen();
            } finally {
                sluice.close();
            }
        }
        if (upstream != null) {
            upstream.close();
            assertNull(upstream.scriptFailure(), "the fake upstream's script failed");
        }
    }
}

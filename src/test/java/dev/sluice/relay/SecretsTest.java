package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Access;
import dev.sluice.config.Secret;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.RunningSluice;
import dev.sluice.testing.TestClient;
import dev.sluice.testing.TestConfig;
import java.net.URI;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The server's key goes upstream and nowhere else; the client's credentials never go upstream. */
class SecretsTest {

    private static final String CHAT = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CLIENT_TOKEN = "client-token-must-stay-here-4711";

    @Test
    void serverKeyIsAddedUpstreamAndClientCredentialsAreNot() throws Exception {
        try (FakeUpstream upstream = new FakeUpstream(exchange -> exchange.startStream()
                        .write("data: [DONE]\n\n").end());
                // A proxy header is believed, and so accepted, only from a trusted proxy.
                RunningSluice sluice = new RunningSluice(TestConfig.relayingTo(upstream.baseUrl(),
                        new Secret(RunningSluice.KEY)).access(new Access(Map.of(), null, null,
                                Set.of("127.0.0.1"))).build());
                TestClient client = new TestClient();
                TestClient.Stream stream = client.stream(sluice.uri("/v1/chat/completions"), CHAT,
                        "Authorization", "Bearer " + CLIENT_TOKEN,
                        "Cookie", "session=" + CLIENT_TOKEN,
                        "X-Forwarded-For", "127.0.0.1")) {
            stream.rest();
            FakeUpstream.Request request = upstream.takeRequest();
            assertEquals("POST", request.method());
            assertEquals("/v1/chat/completions", request.path());
            assertEquals("Bearer " + RunningSluice.KEY, request.headers().get("authorization"));
            assertEquals("text/event-stream", request.headers().get("accept"));
            // The client's body, plus the usage report the relay asks for on its own account.
            assertEquals(JSON.readTree(CHAT.replace("}", ",\"stream_options\":"
                    + "{\"include_usage\":true}}")), JSON.readTree(request.bodyText()));
            assertFalse(request.headers().toString().contains(CLIENT_TOKEN), request.headers()::toString);
            assertFalse(request.headers().containsKey("cookie"));
            assertFalse(request.headers().containsKey("x-forwarded-for"));
            assertNull(upstream.scriptFailure());
        }
    }

    @Test
    void noKeyConfiguredSendsNoAuthorization() throws Exception {
        try (FakeUpstream upstream = new FakeUpstream(exchange -> exchange.startStream()
                        .write("data: [DONE]\n\n").end());
                RunningSluice sluice = new RunningSluice(RunningSluice.config(upstream.baseUrl(), null));
                TestClient client = new TestClient();
                TestClient.Stream stream = client.stream(sluice.uri("/v1/chat/completions"), CHAT,
                        "Authorization", "Bearer " + CLIENT_TOKEN)) {
            stream.rest();
            assertFalse(upstream.takeRequest().headers().containsKey("authorization"));
        }
    }

    @Test
    void keyAppearsInNoResponseAndNoLogLine() throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs.start();
        root.addAppender(logs);
        AtomicInteger calls = new AtomicInteger();
        String echo = "{\"error\":{\"message\":\"bad key " + RunningSluice.KEY
                + ", header was Bearer " + RunningSluice.KEY + "\",\"type\":\"auth\"}}";
        StringBuilder everything = new StringBuilder();
        try (FakeUpstream upstream = new FakeUpstream(exchange -> {
                    // The 401 last: it takes the key out of service, and later calls with it.
                    switch (calls.incrementAndGet()) {
                        case 1 -> exchange.respond(500, "text/plain", "upstream saw " + RunningSluice.KEY);
                        case 2 -> {
                            exchange.startStream().write("data: {\"k\":1}\n\n");
                            exchange.reset();
                        }
                        case 3 -> exchange.respond(200, "application/json", "{}");
                        default -> exchange.respond(401, "application/json", echo);
                    }
                });
                RunningSluice sluice = RunningSluice.relayingTo(upstream.baseUrl());
                TestClient client = new TestClient()) {
            URI chat = sluice.uri("/v1/chat/completions");
            for (int i = 0; i < 5; i++) {
                var response = client.post(chat, CHAT);
                everything.append(response.getHeaders()).append(response.getContentAsString());
            }
            everything.append(sluice.config()).append(sluice.config().describe());
        } finally {
            root.detachAppender(logs);
        }
        for (ILoggingEvent event : logs.list) {
            everything.append(event.getFormattedMessage()).append('\n');
            if (event.getThrowableProxy() != null) {
                everything.append(ThrowableProxyUtil.asString(event.getThrowableProxy()));
            }
        }
        assertTrue(calls.get() >= 4, "every request reached the upstream");
        assertTrue(everything.toString().contains(new Secret(RunningSluice.KEY).fingerprint()));
        assertFalse(everything.toString().contains(RunningSluice.KEY), everything::toString);
        assertFalse(everything.toString().contains("Zq8xR2vL9mW4"), everything::toString);
    }
}

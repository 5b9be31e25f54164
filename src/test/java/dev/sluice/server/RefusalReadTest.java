package dev.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.TestConfig;
import dev.sluice.testing.WholeBodyClient;
import dev.sluice.testing.WholeBodyClient.Answer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A refused request's client must be able to read the refusal even when it writes its whole body
 * before reading anything, as Python's urllib and many SDKs do: a reset connection instead would
 * be retried as a network error.
 */
class RefusalReadTest {

    private static final String JSON_TYPE = "application/json";

    @RegisterExtension
    final Relay relay = new Relay();

    private URI start(Access access) throws Exception {
        FakeUpstream upstream = relay.upstream(exchange -> exchange.respond(500, "text/plain",
                "not called"));
        return relay.start(TestConfig.relayingTo(upstream.baseUrl(), null).access(access)
                .build());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aBodyOverTheLimitIsAnswered413AfterTheClientWroteAllOfIt(boolean chunked)
            throws Exception {
        URI chat = start(Access.NONE);

        Answer answer = WholeBodyClient.post(chat, JSON_TYPE, 10 << 20, chunked);

        assertEquals(413, answer.status(), answer.toString());
        assertEquals("request body is larger than 1048576 bytes", answer.message());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aCallerWithoutATokenIsAnswered401AfterWritingALargeBody(boolean chunked)
            throws Exception {
        Client backend = new Client("backend", Set.of(), Set.of(), 0, 0, 0);
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest("slc_token".getBytes(StandardCharsets.UTF_8)));
        URI chat = start(new Access(Map.of(hash, backend), null, null, Set.of()));

        Answer answer = WholeBodyClient.post(chat, JSON_TYPE, 4 << 20, chunked);

        assertEquals(401, answer.status(), answer.toString());
        assertTrue(answer.message().startsWith("send a token as"), answer.message());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aBodyOfTheWrongTypeIsAnswered415AfterTheClientWroteAllOfIt(boolean chunked)
            throws Exception {
        URI chat = start(Access.NONE);

        Answer answer = WholeBodyClient.post(chat, "text/plain", 4 << 20, chunked);

        assertEquals(415, answer.status(), answer.toString());
    }
}

package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.testing.Relay;
import dev.sluice.testing.TestClient;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Events longer than the bound on what Sluice holds pass through whole and unchanged, in pieces
 * as they arrive; the bound limits what is held, never what is relayed.
 */
class GiantEventsTest {

    private static final String CHAT = "{\"model\":\"gpt-test\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"draw\"}]}";

    @RegisterExtension
    final Relay relay = new Relay();

    @Test
    void sevenMegabyteLineInReadsOf65537BytesArrivesUnchanged() throws Exception {
        byte[] body = GiantEvents.base64Stream(7 << 20);
        assertArrives(body, 65_537);
    }

    @Test
    void multibyteLineInReadsOf4099BytesArrivesUnchanged() throws Exception {
        byte[] body = GiantEvents.multibyteStream(600_000); // about 1.5 MB of 2 to 4-byte text
        assertArrives(body, 4_099);
    }

    private void assertArrives(byte[] body, int read) throws Exception {
        URI chat = relay.start(exchange -> GiantEvents.play(exchange, body, read));
        try (TestClient.Stream stream = relay.client().stream(chat, CHAT)) {
            assertEquals(200, stream.response().getStatus());
            assertArrayEquals(body, stream.restBytes());
        }
    }
}

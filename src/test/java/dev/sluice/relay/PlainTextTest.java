package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.testing.Relay;
import dev.sluice.testing.TestClient;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A client that asks for {@code text/plain} gets the answer's text, ended by a newline. */
class PlainTextTest {

    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    private static final String HEAD = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":";

    @RegisterExtension
    final Relay relay = new Relay();

    private String text(String upstreamEvents) throws Exception {
        URI chat = relay.start(exchange -> exchange.startStream().write(upstreamEvents).end());
        try (TestClient.Stream stream = relay.client().stream(chat, STREAM, "Accept",
                "text/plain")) {
            return new String(stream.restBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void answerEndedByDoneEndsWithANewline() throws Exception {
        assertEquals("Hello, world\n", text(HEAD + "\"Hello,\"}}]}\n\n"
                + HEAD + "\" world\"}}]}\n\ndata: [DONE]\n\n"));
    }

    @Test
    void answerEndedByTheUpstreamClosingEndsWithANewline() throws Exception {
        assertEquals("Hello\n", text(HEAD + "\"Hello\"}}]}\n\n"));
    }

    @Test
    void answerThatEndsItsLastLineGetsNoSecondNewline() throws Exception {
        assertEquals("one\ntwo\n", text(HEAD + "\"one\\ntwo\\n\"}}]}\n\n"
                + HEAD + "\"\"}}]}\n\ndata: [DONE]\n\n"));
    }

    @Test
    void answerWithoutTextStaysEmpty() throws Exception {
        assertEquals("", text("data: {\"choices\":[]}\n\ndata: [DONE]\n\n"));
    }
}

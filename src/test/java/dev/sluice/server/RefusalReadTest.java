package dev.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.testing.FakeUpstream;
import dev.sluice.testing.Relay;
import dev.sluice.testing.TestConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
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

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TEN_MIB = 10 << 20;

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

        Answer answer = writeAllThenRead(chat, "", TEN_MIB, chunked);

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

        Answer answer = writeAllThenRead(chat, "", 4 << 20, chunked);

        assertEquals(401, answer.status(), answer.toString());
        assertTrue(answer.message().startsWith("send a token as"), answer.message());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aBodyOfTheWrongTypeIsAnswered415AfterTheClientWroteAllOfIt(boolean chunked)
            throws Exception {
        URI chat = start(Access.NONE);

        Answer answer = writeAllThenRead(chat, "text/plain", 4 << 20, chunked);

        assertEquals(415, answer.status(), answer.toString());
    }

    /** What a client that reads only once it has written everything sees. */
    private record Answer(int status, String head, String body) {
        String message() throws IOException {
            return JSON.readTree(body).path("error").path("message").asText();
        }
    }

    private static Answer writeAllThenRead(URI uri, String contentType, int bytes,
            boolean chunked) throws Exception {
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + uri.getPath() + " HTTP/1.1\r\nHost: sluice\r\nContent-Type: "
                    + (contentType.isEmpty() ? "application/json" : contentType) + "\r\n"
                    + (chunked ? "Transfer-Encoding: chunked\r\n"
                            : "Content-Length: " + bytes + "\r\n") + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] piece = new byte[64 << 10];
            Arrays.fill(piece, (byte) ' ');
            piece[0] = '[';
            for (int sent = 0; sent < bytes; sent += piece.length) {
                int length = Math.min(piece.length, bytes - sent);
                if (chunked) {
                    out.write((Integer.toHexString(length) + "\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                }
                out.write(piece, 0, length);
                if (chunked) {
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
            }
            if (chunked) {
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
            return read(socket.getInputStream());
        }
    }

    /** One response with a Content-Length, read to its end. */
    private static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        for (int b = in.read(), i = 0; b >= 0 && i < 16_384; b = in.read(), i++) {
            head.write(b);
            if (head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                break;
            }
        }
        String text = head.toString(StandardCharsets.US_ASCII);
        int length = text.lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
                .map(l -> Integer.parseInt(l.substring(15).strip())).findFirst().orElse(0);
        String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        return new Answer(Integer.parseInt(text.substring(9, 12)), text, body);
    }
}

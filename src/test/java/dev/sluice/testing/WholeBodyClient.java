package dev.sluice.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * A client that writes its whole request body before it reads anything, as Python's urllib and
 * many SDKs do, over a raw loopback socket; a connection closed under it fails the write.
 */
public final class WholeBodyClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private WholeBodyClient() {}

    /** The status line's code, the head and the body of the one response read. */
    public record Answer(int status, String head, String body) {
        /** The error message of a JSON error body. */
        public String message() throws IOException {
            return JSON.readTree(body).path("error").path("message").asText();
        }
    }

    /**
     * POSTs {@code bytes} of body, declared with Content-Length or sent chunked, then reads one
     * response with a Content-Length.
     */
    public static Answer post(URI uri, String contentType, int bytes, boolean chunked)
            throws IOException {
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + uri.getPath() + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                    + contentType + "\r\n" + (chunked ? "Transfer-Encoding: chunked\r\n"
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

    private static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        for (int b = in.read(), i = 0; b >= 0 && i < 16_384; b = in.read(), i++) {
            head.write(b);
            if (head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                break;
            }
        }
        String text = head.toString(StandardCharsets.US_ASCII);
        int length = text.lines()
                .filter(l -> l.toLowerCase(Locale.ROOT).startsWith("content-length:"))
                .map(l -> Integer.parseInt(l.substring(15).strip())).findFirst().orElse(0);
        String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        return new Answer(Integer.parseInt(text.substring(9, 12)), text, body);
    }
}

package dev.sluice.relay;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * Undoes a {@code Content-Encoding} the upstream applied although it was not asked to. The
 * inflating streams return what has arrived so far, so a stream compressed with a flush per
 * event is still relayed event by event.
 */
final class Decoding {

    private Decoding() {}

    /** The decoded body; {@code encoding} may be null, {@code identity}, gzip or deflate. */
    static InputStream of(InputStream body, String encoding) throws IOException {
        if (encoding == null) {
            return body;
        }
        return switch (encoding.strip().toLowerCase(Locale.ROOT)) {
            case "", "identity" -> body;
            case "gzip", "x-gzip" -> new GZIPInputStream(body);
            case "deflate" -> new InflaterInputStream(body, new Inflater());
            default -> throw new IOException("upstream used an unsupported Content-Encoding: "
                    + encoding);
        };
    }
}

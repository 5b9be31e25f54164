package dev.sluice.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.config.Secret;
import dev.sluice.observe.KeyScrubber;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An event passed in pieces loses its keys as it would whole, wherever the pieces are cut, and
 * what waits for the next piece is only what may begin a key.
 */
class ScrubbedPiecesTest {

    private static final String KEY = "sk-proj-Tn4mQ8wE2rY6uI0oP3aS";
    private static final String OTHER = "9f2c4e6a8b0d1f3e5a7c9e1b";
    private static final KeyScrubber KEYS = new KeyScrubber(List.of(new Secret(KEY),
            new Secret(OTHER)));
    private static final String EVENT = "data: {\"content\":\"s sk-proj " + KEY + " a" + OTHER
            + OTHER + " " + KEY.substring(0, 10) + "\ndata: " + KEY.substring(10) + " sk-pro"
            + "\ndata: sk\n\n";

    /** The event through pieces cut at {@code cuts}, its last piece the blank line. */
    private static String passed(byte[] event, int... cuts) {
        ScrubbedPieces pieces = new ScrubbedPieces(KEYS);
        pieces.reset();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int from = 0;
        for (int cut : cuts) {
            pieces.next(event, from, cut - from);
            out.write(pieces.array(), pieces.offset(), pieces.length());
            from = cut;
        }
        pieces.next(event, from, event.length - 1 - from);
        out.write(pieces.array(), pieces.offset(), pieces.length());
        pieces.end();
        out.write(pieces.array(), pieces.offset(), pieces.length());
        out.write('\n');
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String whole(byte[] event) {
        return new String(KEYS.scrubbed(event, 0, event.length), StandardCharsets.UTF_8);
    }

    @Test
    void twoPiecesCutAnywhereLoseTheKeysAsTheWholeEventDoes() {
        byte[] event = EVENT.getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut < event.length - 1; cut++) {
            assertEquals(whole(event), passed(event, cut), "cut at " + cut);
        }
    }

    @Test
    void piecesOfOneByteLoseTheKeysAsTheWholeEventDoes() {
        byte[] event = EVENT.getBytes(StandardCharsets.UTF_8);
        int[] cuts = new int[event.length - 2];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = i + 1;
        }
        assertEquals(whole(event), passed(event, cuts));
    }

    @Test
    void onlyWhatMayBeginAKeyWaits() {
        ScrubbedPieces pieces = new ScrubbedPieces(KEYS);
        pieces.reset();
        byte[] first = "data: abc sk-pr".getBytes(StandardCharsets.UTF_8);

        pieces.next(first, 0, first.length);

        assertEquals("data: abc ", new String(pieces.array(), pieces.offset(), pieces.length(),
                StandardCharsets.UTF_8));
        byte[] second = "ize\n".getBytes(StandardCharsets.UTF_8);
        pieces.next(second, 0, second.length);
        assertEquals("sk-prize\n", new String(pieces.array(), pieces.offset(),
                pieces.length(), StandardCharsets.UTF_8));
    }
}

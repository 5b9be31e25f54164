package dev.sluice.sse;

import static dev.sluice.sse.Vector.BOM;
import static dev.sluice.sse.Vector.chunk;
import static dev.sluice.sse.Vector.event;
import static dev.sluice.sse.Vector.hex;
import static dev.sluice.sse.Vector.message;
import static dev.sluice.sse.Vector.randomBase64;
import static dev.sluice.sse.Vector.vector;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The streams of LaunchDarkly's {@code sse-contract-tests} (basic parsing, BOM, comments, line
 * feeds); each chunk is one {@code stream.Send()} of the original test.
 */
class LaunchDarklyVectorsTest implements StreamVectors {

    /** The large messages are single lines of 7 and 14 MB, beyond the relay's default bound. */
    private static final int LARGE_LINE_BYTES = 16 << 20;
    private static final int FIVE_MIB = 5 << 20;

    static List<Vector> vectors() {
        List<Vector> vectors = new ArrayList<>(List.of(
                vector("ld-one-line-one-chunk", "data: Hello\n\n")
                        .events(message("Hello")),
                vector("ld-two-messages-three-chunks", "data: test", "test\n\ndata:", "test\n\n")
                        .events(message("testtest"), message("test")),
                vector("ld-one-line-two-chunks", "data: Hel", "lo\n\n")
                        .events(message("Hello")),
                vector("ld-two-messages-one-chunk", "data: Hello\n\ndata: World\n\n")
                        .events(message("Hello"), message("World")),
                vector("ld-two-line-message", "data: Hello\ndata:World\n\n")
                        .events(message("Hello\nWorld")),
                vector("ld-empty-data", "data:\n\n")
                        .events(message("")),
                vector("ld-event-type", "event: greeting\ndata: Hello\n\n")
                        .events(event("greeting", "Hello", "")),
                vector("ld-default-event-type", "data: Hello\n\n")
                        .events(message("Hello")),
                vector("ld-event-id", "id: abc\ndata: Hello\n\n")
                        .events(event("message", "Hello", "abc")),
                vector("ld-event-type-and-id", "event: greeting\nid: abc\ndata: Hello\n\n")
                        .events(event("greeting", "Hello", "abc")),
                vector("ld-id-with-null", "id: a\0bc\ndata: Hello\n\n")
                        .events(message("Hello")),
                vector("ld-last-id-persists", "id: abc\ndata: first\n\n", "data: second\n\n")
                        .events(event("message", "first", "abc"),
                                event("message", "second", "abc")),
                vector("ld-last-id-empty-override",
                        "id: abc\ndata: first\n\n", "id: \ndata: second\n\n")
                        .events(event("message", "first", "abc"), message("second")),
                vector("ld-fields-reverse-order", "data: Hello\nid: abc\nevent: greeting\n\n")
                        .events(event("greeting", "Hello", "abc")),
                vector("ld-unknown-field", "event: greeting\ncolor: blue\ndata: Hello\n\n")
                        .events(event("greeting", "Hello", "")),
                vector("ld-no-leading-space", "event:greeting\ndata:Hello\n\n")
                        .events(event("greeting", "Hello", "")),
                vector("ld-extra-leading-space", "event:  greeting\ndata:  Hello\n\n")
                        .events(event(" greeting", " Hello", "")),
                vector("ld-field-no-colon", "data\n\ndata\ndata\n\n")
                        .events(message(""), message("\n")),
                vector("ld-multibyte", "data: \u20AC\u8C46\u8150\n\n")
                        .events(message("\u20AC\u8C46\u8150")),
                vector("ld-rapid-100", IntStream.range(0, 100)
                                .mapToObj(i -> "data: message " + i + "\n\n")
                                .reduce("", String::concat))
                        .events(IntStream.range(0, 100)
                                .mapToObj(i -> message("message " + i))
                                .toArray(BrowserView.Event[]::new)),
                // Played every:1 in the original; here too (oneBytePerRead), like every vector.
                vector("ld-multibyte-single-bytes", "data: \u20AC\u8C46\u8150\n\n")
                        .events(message("\u20AC\u8C46\u8150")),
                vector("ld-bom-start", chunk(BOM, "data: Hello\n\n"))
                        .events(message("Hello")),
                vector("ld-bom-type-and-id",
                        chunk(BOM, "event: greeting\nid: abc\ndata: Hello\n\n"))
                        .events(event("greeting", "Hello", "abc")),
                vector("ld-bom-multiple-messages", chunk(BOM, "data: First\n\ndata: Second\n\n"))
                        .events(message("First"), message("Second")),
                vector("ld-bom-later-in-data",
                        "data: First\n\n", chunk("data: ", BOM, "Second\n\n"))
                        .events(message("First"), message("\uFEFFSecond")),
                vector("ld-bom-split-two-chunks", hex("efbb"), chunk(hex("bf"), "data: Hello\n\n"))
                        .events(message("Hello")),
                vector("ld-bom-split-bytes", hex("ef"), hex("bb"), hex("bf"), "data: Hello\n\n")
                        .events(message("Hello")),
                vector("ld-bom-only-first", chunk(BOM, "data: ", BOM, "Hello\n\n"))
                        .events(message("\uFEFFHello")),
                vector("ld-bom-multiline", chunk(BOM, "data: Line1\ndata: Line2\n\n"))
                        .events(message("Line1\nLine2")),
                vector("ld-bom-comment", chunk(BOM, ":comment\ndata: Hello\n\n"))
                        .events(message("Hello"))
                        .comments("comment"),
                vector("ld-bom-empty-data", chunk(BOM, "data:\n\n"))
                        .events(message("")),
                vector("ld-comments", ":Hello\n", ":World\n", "data: Hello\n\n", ":Hello\n")
                        .events(message("Hello"))
                        .comments("Hello", "World", "Hello"),
                vector("ld-crlf-cr-end-of-chunk",
                        "data: Hello\r", "\ndata: World\r", "\n\r\ndata: OK\r", "\n", "\r", "\n")
                        .events(message("Hello\nWorld"), message("OK"))));
        vectors.addAll(lineEndings("lf", "\n"));
        vectors.addAll(lineEndings("crlf", "\r\n"));
        vectors.addAll(lineEndings("cr", "\r"));
        vectors.addAll(large());
        return vectors;
    }

    /** The linefeed tests, run once per line ending: ld-{lf,crlf,cr}-one-line-event and so on. */
    private static List<Vector> lineEndings(String kind, String eol) {
        String prefix = "ld-" + kind + "-";
        return List.of(
                vector(prefix + "one-line-event", lines(eol, "data: event 1", ""))
                        .events(message("event 1")),
                vector(prefix + "one-plus-two-line", lines(eol, "data: event 1", "",
                                "data: event 2 line 1", "data: event 2 line 2", ""))
                        .events(message("event 1"), message("event 2 line 1\nevent 2 line 2")),
                vector(prefix + "empty-first-line",
                        lines(eol, "data:", "data: line2", "data: line3", ""))
                        .events(message("\nline2\nline3")),
                vector(prefix + "empty-middle-line",
                        lines(eol, "data: line1", "data:", "data: line3", ""))
                        .events(message("line1\n\nline3")),
                vector(prefix + "one-extra-blank",
                        lines(eol, "data: event 1", "", "", "data: event 2", ""))
                        .events(message("event 1"), message("event 2")),
                vector(prefix + "two-extra-blanks",
                        lines(eol, "data: event 1", "", "", "", "data: event 2", ""))
                        .events(message("event 1"), message("event 2")));
    }

    private static String lines(String eol, String... lines) {
        return String.join(eol, lines) + eol;
    }

    /**
     * Base64 of 5 MiB of random bytes as one line; the original draws them from Go's math/rand,
     * the corpus from a seeded generator, and so does this table (see {@link Vector#randomBase64}).
     */
    private static List<Vector> large() {
        String one = randomBase64(FIVE_MIB, 1);
        String a = randomBase64(FIVE_MIB, 2);
        String b = randomBase64(FIVE_MIB, 3);
        return List.of(
                vector("ld-large-message-one-chunk", "data: " + one + "\n\n")
                        .events(message(one))
                        .maxLineBytes(LARGE_LINE_BYTES),
                vector("ld-large-message-two-chunks", "data: " + a, b + "\n\n")
                        .events(message(a + b))
                        .maxLineBytes(LARGE_LINE_BYTES));
    }

    @Test
    void largeMessagesExceedTheDefaultBound() {
        for (Vector vector : large()) {
            assertThrows(LineTooLongException.class, () -> Playback.items(
                    ChunkedInputStream.of(vector.chunks()), SseReader.DEFAULT_MAX_LINE_BYTES),
                    vector.name());
        }
    }
}

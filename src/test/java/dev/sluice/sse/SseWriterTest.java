package dev.sluice.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What {@link SseWriter} puts on the wire, and that the reader reads it back unchanged. */
class SseWriterTest {

    @Test
    void eventWithEveryField() throws IOException {
        assertEquals("event: add\nid: 7\nretry: 3000\ndata: 73857293\n\n",
                written(new SseEvent("add", "73857293", "7", 3000L)));
    }

    @Test
    void absentFieldsAreNotWritten() throws IOException {
        assertEquals("data: hi\n\n", written(SseEvent.of("hi")));
        assertEquals("event: ping\ndata: {}\n\n", written(SseEvent.of("ping", "{}")));
        assertEquals("id: 7\n\n", written(new SseEvent(null, null, "7", null)));
        assertEquals("retry: 10\n\n", written(new SseEvent(null, null, null, 10L)));
    }

    @Test
    void emptyIdIsWritten() throws IOException {
        assertEquals("id: \ndata: a\n\n", written(new SseEvent(null, "a", "", null)));
    }

    @Test
    void emptyData() throws IOException {
        assertEquals("data: \n\n", written(SseEvent.of("")));
    }

    @Test
    void multilineDataLf() throws IOException {
        assertEquals("data: a\ndata: b\n\n", written(SseEvent.of("a\nb")));
    }

    @Test
    void multilineDataCr() throws IOException {
        assertEquals("data: a\ndata: b\n\n", written(SseEvent.of("a\rb")));
    }

    @Test
    void multilineDataCrLf() throws IOException {
        assertEquals("data: a\ndata: b\n\n", written(SseEvent.of("a\r\nb")));
    }

    @Test
    void emptyLinesInDataAreKept() throws IOException {
        assertEquals("data: \ndata: a\ndata: \ndata: b\ndata: \n\n",
                written(SseEvent.of("\na\n\r\nb\n")));
        assertEquals(List.of(SseEvent.of("\na\n\nb\n")), readBack(SseEvent.of("\na\n\r\nb\n")));
    }

    @Test
    void dataWithLeadingSpaceSurvivesRoundTrip() throws IOException {
        assertEquals("data:  x\ndata:   y\n\n", written(SseEvent.of(" x\n  y")));
        assertEquals(List.of(SseEvent.of(" x\n  y")), readBack(SseEvent.of(" x\n  y")));
    }

    @Test
    void comment() throws IOException {
        assertEquals(": ping\n", written(new SseComment("ping")));
        assertEquals(": \n", written(new SseComment("")));
    }

    @Test
    void commentWithNewlineBecomesTwoCommentLines() throws IOException {
        assertEquals(": a\n: b\n", written(new SseComment("a\nb")));
        assertEquals(": a\n: b\n", written(new SseComment("a\r\nb")));
        assertEquals(List.of(new SseComment("a"), new SseComment("b")),
                readBack(new SseComment("a\rb")));
    }

    @Test
    void eventRefusesLineBreaksInTypeOrId() {
        for (String bad : List.of("a\nb", "a\rb", "a\r\n", "\n")) {
            assertThrows(IllegalArgumentException.class, () -> new SseEvent(bad, "x", null, null));
            assertThrows(IllegalArgumentException.class, () -> new SseEvent(null, "x", bad, null));
        }
    }

    @Test
    void eventRefusesNulInId() {
        assertThrows(IllegalArgumentException.class, () -> new SseEvent(null, "x", "a\0b", null));
    }

    @Test
    void eventRefusesNegativeRetry() {
        assertThrows(IllegalArgumentException.class, () -> new SseEvent(null, null, null, -1L));
    }

    @Test
    void oneWritePerItemAndNoFlushUntilAsked() throws IOException {
        var out = new ByteArrayOutputStream() {
            int writes;
            int flushes;

            @Override
            public void write(byte[] b, int off, int len) {
                writes++;
                super.write(b, off, len);
            }

            @Override
            public void flush() {
                flushes++;
            }
        };
        SseWriter writer = new SseWriter(out);
        writer.write(new SseEvent("t", "a\nb\nc", "1", 5L));
        writer.write(new SseComment("x\ny"));
        assertEquals(2, out.writes);
        assertEquals(0, out.flushes);
        writer.flush();
        assertEquals(1, out.flushes);
    }

    @Test
    void multibyteAndNulWrittenAsUtf8() throws IOException {
        assertEquals("data: é€\uD83D\uDE00\0\n\n", written(SseEvent.of("é€\uD83D\uDE00\0")));
    }

    /** Writing what the reader returned and reading it again gives the same items. */
    @ParameterizedTest(name = "{0}")
    @MethodSource({
        "dev.sluice.sse.WptVectorsTest#vectors",
        "dev.sluice.sse.OkHttpVectorsTest#vectors",
        "dev.sluice.sse.LaunchDarklyVectorsTest#vectors",
        "dev.sluice.sse.EventsourceParserVectorsTest#vectors",
        "dev.sluice.sse.OpenAiVectorsTest#vectors",
        "dev.sluice.sse.AnthropicVectorsTest#vectors",
        "dev.sluice.sse.CustomGptVectorsTest#vectors"
    })
    void roundTrip(Vector vector) throws IOException {
        List<SseItem> items = Playback.items(
                ChunkedInputStream.whole(vector.bytes()), vector.maxLineBytes());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SseWriter writer = new SseWriter(out);
        for (SseItem item : items) {
            writer.write(item);
        }
        assertEquals(items, Playback.items(
                ChunkedInputStream.whole(out.toByteArray()), vector.maxLineBytes()));
    }

    private static String written(SseItem item) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new SseWriter(out).write(item);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static List<SseItem> readBack(SseItem item) throws IOException {
        return Playback.items(ChunkedInputStream.whole(Vector.utf8(written(item))),
                SseReader.DEFAULT_MAX_LINE_BYTES);
    }
}

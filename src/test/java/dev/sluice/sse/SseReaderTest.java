package dev.sluice.sse;

import static dev.sluice.sse.Vector.chunk;
import static dev.sluice.sse.Vector.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The WHATWG event-stream parsing rules (HTML 9.2.6), one test each. Unless a test gives its own
 * reads, every input is read whole, one byte per read and split into two reads at every offset.
 */
class SseReaderTest {

    @Test
    void multilineLf() {
        assertEquals(events(data("YHOO\n+2\n10")), read("data: YHOO\ndata: +2\ndata: 10\n\n"));
    }

    @Test
    void multilineCr() {
        assertEquals(events(data("YHOO\n+2\n10")), read("data: YHOO\rdata: +2\rdata: 10\r\r"));
    }

    @Test
    void multilineCrLf() {
        assertEquals(events(data("YHOO\n+2\n10")),
                read("data: YHOO\r\ndata: +2\r\ndata: 10\r\n\r\n"));
    }

    @Test
    void mixedLineEndings() {
        assertEquals(events(data("a\nb\nc")), read("data: a\rdata: b\ndata: c\r\n\r"));
    }

    @Test
    void lfThenCrIsTwoLineEnds() {
        assertEquals(events(data("a"), data("b")), read("data: a\n\rdata: b\r\n\n"));
    }

    @Test
    void crLfSplitAcrossReadsIsOneLineEnd() throws IOException {
        var in = ChunkedInputStream.thenStall("data: a\r", "\ndata: b\r", "\n\r", "\n");
        try (SseReader reader = new SseReader(in)) {
            assertEquals(data("a\nb"), reader.next());
        }
    }

    @Test
    void crAtEndOfReadIsNotFollowedByWaiting() throws IOException {
        // A CR ends its line at once; waiting for a possible LF would stall a live stream.
        try (SseReader reader = new SseReader(ChunkedInputStream.thenStall("data: a\r", "\r"))) {
            assertEquals(data("a"), reader.next());
        }
    }

    @Test
    void eventReturnedWithoutReadingAhead() throws IOException {
        try (SseReader reader = new SseReader(ChunkedInputStream.thenStall(
                ": open\n", "data: a\n\n", "id: 1\n\n"))) {
            assertEquals(new SseComment("open"), reader.next());
            assertEquals(data("a"), reader.next());
            assertEquals(new SseEvent(null, null, "1", null), reader.next());
        }
    }

    @Test
    void leadingBomSkipped() {
        assertEquals(events(data("a")), read(chunk(hex("efbbbf"), "data: a\n\n")));
    }

    @Test
    void secondBomIsPartOfFieldName() {
        assertEquals(events(data("b")), read("\uFEFF\uFEFFdata: a\n\ndata: b\n\n"));
    }

    @Test
    void bomSplitAcrossReads() throws IOException {
        var in = ChunkedInputStream.of(
                List.of(hex("ef"), hex("bb"), chunk(hex("bf"), "data: a\n\n")));
        assertEquals(events(data("a")), Playback.items(in, SseReader.DEFAULT_MAX_LINE_BYTES));
    }

    @Test
    void bomAfterStreamStartIsAnOrdinaryCharacter() {
        assertEquals(events(data("a"), data("\uFEFFc")),
                read("data: a\n\n\uFEFFdata: b\n\ndata: \uFEFFc\n\n"));
    }

    @Test
    void truncatedBomIsNotSkipped() {
        // EF BB is an invalid sequence, so the first line's field name is "\uFFFDdata".
        assertEquals(events(data("b")), read(chunk(hex("efbb"), "data: a\n\ndata: b\n\n")));
    }

    @Test
    void commentsReturnedWithoutColonAndOneSpace() {
        assertEquals(List.of(comment("hi"), comment("hi"), comment(" two"), comment(""),
                comment(":")), read(": hi\n:hi\n:  two\n:\n::\n"));
    }

    @Test
    void commentInsideBlockDoesNotEndIt() {
        assertEquals(List.of(comment("note"), data("a\nb")), read("data: a\n: note\ndata: b\n\n"));
    }

    @Test
    void nakedFieldNames() {
        assertEquals(events(data(""), data("\n"), new SseEvent(null, null, "", null)),
                read("data\n\ndata\ndata\n\nid\n\n"));
    }

    @Test
    void colonSpaceOptional() {
        assertEquals(events(data("test"), data("test")), read("data:test\n\ndata: test\n\n"));
    }

    @Test
    void onlyOneLeadingSpaceRemoved() {
        assertEquals(events(new SseEvent(" t", " test", " 1", null)),
                read("event:  t\nid:  1\ndata:  test\n\n"));
    }

    @Test
    void otherWhitespaceKept() {
        assertEquals(events(data("\tx \u00A0")), read("data:\tx \u00A0\n\n"));
    }

    @Test
    void valueMayContainColons() {
        assertEquals(events(data("a: b:c"), data(":")), read("data: a: b:c\n\ndata::\n\n"));
    }

    @Test
    void unknownFieldsIgnored() {
        assertEquals(events(data("a")), read("foo: bar\ndata: a\nbar\ncolor: blue\n\nfoo\n\n"));
    }

    @Test
    void namePrefixIgnored() {
        assertEquals(events(data("a")),
                read("data: a\neventually\ndatabase\nidentity\nretrying\nevent_: x\n\n"));
    }

    @Test
    void fieldNamesAreCaseSensitive() {
        assertEquals(events(), read("Data: a\nEVENT: b\nId: c\nRETRY: 1\n\n"));
    }

    @Test
    void spaceBeforeFieldNameMakesItUnknown() {
        assertEquals(events(data("b")), read(" data: a\n\ndata: b\n\n"));
    }

    @Test
    void eventTypeApplied() {
        assertEquals(events(SseEvent.of("add", "1")), read("event: add\ndata: 1\n\n"));
    }

    @Test
    void emptyEventTypeMeansDefault() {
        assertEquals(events(data("a"), data("b")), read("event:\ndata: a\n\nevent\ndata: b\n\n"));
    }

    @Test
    void lastEventTypeInBlockWins() {
        assertEquals(events(SseEvent.of("b", "x")), read("event: a\nevent: b\ndata: x\n\n"));
    }

    @Test
    void eventTypeDoesNotCarryOver() {
        assertEquals(events(SseEvent.of("add", "1"), data("2")),
                read("event: add\ndata: 1\n\ndata: 2\n\n"));
    }

    @Test
    void eventTypeAloneDispatchesNothing() {
        assertEquals(events(data("1")), read("event: add\n\ndata: 1\n\n"));
    }

    @Test
    void idWithNulIgnored() {
        assertEquals(events(new SseEvent(null, "x", "1", null), data("y")),
                read("id: 1\nid: a\0b\ndata: x\n\nid: \0\ndata: y\n\n"));
    }

    @Test
    void emptyIdIsKept() {
        assertEquals(events(new SseEvent(null, "a", "", null), new SseEvent(null, "b", "", null)),
                read("id:\ndata: a\n\nid\ndata: b\n\n"));
    }

    @Test
    void idOnlyBlockIsReturnedWithNullData() {
        assertEquals(events(new SseEvent(null, null, "7", null)), read("id: 7\n\n"));
    }

    @Test
    void idBelongsToItsOwnBlock() {
        // The last event ID persists in the client (see BrowserView), not in the reader.
        assertEquals(events(new SseEvent(null, "a", "1", null), data("b")),
                read("id: 1\ndata: a\n\ndata: b\n\n"));
    }

    @Test
    void retryDigitsOnly() {
        assertEquals(events(retry(3000), retry(3000), retry(0)),
                read("retry: 3000\n\nretry:03000\n\nretry: 0\n\n"));
    }

    @Test
    void retryInvalidIgnored() {
        for (String value : List.of("1000x", "-1", "+1", "1.5", " 1000", "1000 ", "", "1e3",
                "\u0661\u0660", "\uFF11\uFF10")) {
            assertEquals(events(), read("retry: " + value + "\n\n"), value);
        }
        assertEquals(events(), read("retry\n\n"));
    }

    @Test
    void invalidRetryKeepsEarlierValueInBlock() {
        assertEquals(events(retry(1000)), read("retry: 1000\nretry: 2000x\n\n"));
    }

    @Test
    void retryOnlyBlockIsReturned() {
        assertEquals(events(retry(10), data("a")), read("retry: 10\n\ndata: a\n\n"));
    }

    @Test
    void blankLinesAloneDispatchNothing() {
        assertEquals(events(), read("\n\n\r\n\r\r\n"));
    }

    @Test
    void unterminatedLastBlockDropped() {
        assertEquals(events(data("a")), read("data: a\n\ndata: b\n"));
        assertEquals(events(data("a")), read("data: a\n\ndata: b"));
        assertEquals(events(), read("id: 1\nretry: 5\n"));
    }

    @Test
    void emptyDataProducesEmptyString() {
        assertEquals(events(data(""), data(""), data("")), read("data:\n\ndata\n\ndata: \n\n"));
    }

    @Test
    void onlyTheLastLineFeedOfDataIsRemoved() {
        assertEquals(events(data("\n"), data("\n\na")),
                read("data:\ndata:\n\ndata\ndata\ndata:a\n\n"));
    }

    @Test
    void invalidUtf8BecomesReplacementCharacter() {
        assertEquals(events(data("a\uFFFDb")), read(chunk("data: a", hex("ff"), "b\n\n")));
        // A truncated sequence is one error; the WHATWG decoder then counts one per bad byte.
        assertEquals(events(data("\uFFFD")), read(chunk("data: ", hex("e282"), "\n\n")));
        assertEquals(events(data("\uFFFD\uFFFD")), read(chunk("data: ", hex("c080"), "\n\n")));
        assertEquals(events(data("\uFFFD\uFFFD\uFFFD\uFFFDx")),
                read(chunk("data: ", hex("f4908080"), "x\n\n")));
        // UTF-8 for a surrogate (CESU-8): three errors, as a browser shows it.
        assertEquals(events(data("\uFFFD\uFFFD\uFFFDx")),
                read(chunk("data: ", hex("eda080"), "x\n\n")));
    }

    @Test
    void multibyteCharactersSurviveEverySplit() {
        String text = "é€\uD83D\uDE00\uD834\uDD1E"; // 2-, 3- and 4-byte sequences
        assertEquals(events(data(text)), read("data: " + text + "\n\n"));
    }

    @Test
    void nulInDataKept() {
        assertEquals(events(data("a\0b"), SseEvent.of("t\0", "\0")),
                read("data: a\0b\n\nevent: t\0\ndata:\0\n\n"));
    }

    @Test
    void endOfStreamIsNullAndStaysNull() throws IOException {
        var in = new ByteArrayInputStream(Vector.utf8("data: a\n\n"));
        try (SseReader reader = new SseReader(in)) {
            assertEquals(data("a"), reader.next());
            assertNull(reader.next());
            assertNull(reader.next());
        }
        assertEquals(List.of(), read(""));
    }

    @Test
    void closeClosesTheStream() throws IOException {
        boolean[] closed = {false};
        var in = new ByteArrayInputStream(new byte[0]) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        new SseReader(in).close();
        assertTrue(closed[0]);
    }

    private static List<SseItem> read(String input) {
        return Playback.everyWay(input);
    }

    private static List<SseItem> read(byte[] input) {
        return Playback.everyWay(input);
    }

    private static List<SseItem> events(SseItem... items) {
        return List.of(items);
    }

    private static SseEvent data(String data) {
        return SseEvent.of(data);
    }

    private static SseEvent retry(long millis) {
        return new SseEvent(null, null, null, millis);
    }

    private static SseComment comment(String text) {
        return new SseComment(text);
    }
}

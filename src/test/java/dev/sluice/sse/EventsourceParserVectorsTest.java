package dev.sluice.sse;

import static dev.sluice.sse.Vector.BOM;
import static dev.sluice.sse.Vector.chunk;
import static dev.sluice.sse.Vector.event;
import static dev.sluice.sse.Vector.message;
import static dev.sluice.sse.Vector.vector;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The fixtures of rexxars/eventsource-parser's {@code test/parse.test.ts}; each chunk is one
 * {@code feed()} call. Most streams end with the encoder's "done" event.
 */
class EventsourceParserVectorsTest implements StreamVectors {

    private static final String DONE = "event: done\ndata: \u2714\n\n";

    private static BrowserView.Event done(String lastEventId) {
        return event("done", "\u2714", lastEventId);
    }

    static List<Vector> vectors() {
        return List.of(
                vector("esp-basic", "data: 0\n\n", "data: 1\n\n", "data: 2\n\n", "data: 3\n\n",
                        "data: 4\n\n", DONE)
                        .events(message("0"), message("1"), message("2"), message("3"),
                                message("4"), done("")),
                vector("esp-identified-retry",
                        "event: tick\nretry: 50\nid: 1337\ndata: 1337\n\n",
                        "event: tick\nretry: 50\nid: 1338\ndata: 1338\n\n")
                        .events(event("tick", "1337", "1337"), event("tick", "1338", "1338"))
                        .retry(50, 50),
                vector("esp-heartbeats", ":  \u2665\n\n", "data: A\n\n", ":  \u2665\n\n",
                        "data: B\n\n", ":  \u2665\n\n", "data: C\n\n", ":  \u2665\n\n",
                        "data: D\n\n", ":  \u2665\n\n", "data: E\n\n", DONE)
                        .events(message("A"), message("B"), message("C"), message("D"),
                                message("E"), done(""))
                        .comments(" \u2665", " \u2665", " \u2665", " \u2665", " \u2665"),
                vector("esp-multiline", "event: stock\n", "data: YHOO\n", "data: +2\n",
                        "data: 10\n\n", "event: stock\n", "data: GOOG\n", "data: -8\n",
                        "data: 1881\n\n", DONE)
                        .events(event("stock", "YHOO\n+2\n10", ""),
                                event("stock", "GOOG\n-8\n1881", ""), done("")),
                multibyte(),
                vector("esp-multibyte-empty-lines", "\n\n\n\nid: 1\ndata: 我現在都看實況不玩遊戲\n\n", DONE)
                        .events(event("message", "我現在都看實況不玩遊戲", "1"), done("1")),
                // The fixture feeds the BOM as three latin1 chars; here it is the raw bytes.
                vector("esp-leading-bom",
                        chunk(BOM, "data: bomful 1\n\n"), "data: bomless 2\n\n", DONE)
                        .events(message("bomful 1"), message("bomless 2"), done("")),
                vector("esp-multi-bom", chunk(BOM, "data: bomful 1\n\n"),
                        chunk(BOM, "data: bomful 2\n\n"), "data: bomless 3\n\n", DONE)
                        .events(message("bomful 1"), message("bomless 3"), done("")),
                vector("esp-cr", "data: dog\r", "data: bark\r\r", "data: cat\r", "data: meow\r\r",
                        DONE)
                        .events(message("dog\nbark"), message("cat\nmeow"), done("")),
                vector("esp-lf", "data: cow\n", "data: moo\n\n", "data: horse\n",
                        "data: neigh\n\n", DONE)
                        .events(message("cow\nmoo"), message("horse\nneigh"), done("")),
                vector("esp-crlf", "data: sheep\r\n", "data: bleat\r\n\r\n", "data: pig\r\n",
                        "data: oink\r\n\r\n", DONE)
                        .events(message("sheep\nbleat"), message("pig\noink"), done("")),
                comments(),
                // The final "data:5" has no line terminator and is dropped.
                vector("esp-mixed-comments", "data:1\r\r:\0\n:\r\ndata:2\n\n:", "x".repeat(2049),
                        "\rdata:3\n\n:data:fail\r:", "x".repeat(2049), "\ndata:4\n\n", "data:5")
                        .events(message("1"), message("2"), message("3"), message("4")),
                vector("esp-empty-event", "event:\ndata: Hello 1\n\n", "event:\n\n", DONE)
                        .events(message("Hello 1"), done("")),
                vector("esp-empty-retry", "retry: 500\nid: 1\ndata: \uD83E\uDD4C\n\n",
                        "id:2\nretry:\ndata:\uD83E\uDDF9\n\n", "id: 3\ndata: \u2705\n\n")
                        .events(event("message", "\uD83E\uDD4C", "1"),
                                event("message", "\uD83E\uDDF9", "2"),
                                event("message", "\u2705", "3"))
                        .retry(500),
                vector("esp-data-field", "data:\n\ndata\ndata\n\ndata:test\n\n", DONE)
                        .events(message(""), message("\n"), message("test"), done("")),
                vector("esp-cr-split-crlf", "data: A\r\n", "data: B\r", "\n", "data: C\r\n", "\n")
                        .events(message("A\nB\nC")),
                vector("esp-invalid-retry", "retry:1000\nretry:2000x\ndata:x\n\n")
                        .events(message("x"))
                        .retry(1000),
                vector("esp-id-nul", "id: 123\nid: bad\0id\ndata: hello\n\n")
                        .events(event("message", "hello", "123")),
                // Adapted in the corpus: the last block makes the committed id visible.
                vector("esp-id-only-block", "id: 42\n", "\n", "id: bad\0id\n\n", "data: after\n\n")
                        .events(event("message", "after", "42")),
                vector("esp-incorrect-retry",
                        "\nretry: 500\n\ndata: first\n\nretry: 50x\n\ndata: second\n\n")
                        .events(message("first"), message("second"))
                        .retry(500),
                vector("esp-unknown-fields", "data:abc\n data\ndata\nfoobar:xxx\njustsometext\n"
                                + ":thisisacommentyay\ndata:123\n\n", DONE)
                        .events(message("abc\n\n123"), done("")),
                vector("esp-discarded-crlf-split", "data: one\n:", "ignored\r", "\ndata: two\n\n")
                        .events(message("one\ntwo")),
                vector("esp-discarded-bare-cr", "data: one\n:", "ignored\r", "data: two\n\n")
                        .events(message("one\ntwo")),
                vector("esp-discarded-cr-then-lf", "data: one\n:ignored\r", "\ndata: two\n\n")
                        .events(message("one\ntwo")),
                vector("esp-bare-data-cr", "data: one\ndata\r", "\ndata: two\n\n")
                        .events(message("one\n\ntwo")),
                vector("esp-blank-cr-split", "data: one\r", "\r", "\n")
                        .events(message("one")),
                // Only the stream is reused; maxBufferSize is the original parser's setting.
                vector("esp-maxbuf-split-field", "da", "ta\n\n")
                        .events(message("")));
    }

    /** Fourteen identified events, one write per line, then "done". */
    private static Vector multibyte() {
        List<Object> chunks = new ArrayList<>();
        List<BrowserView.Event> events = new ArrayList<>();
        IntStream.range(0, MultibyteTexts.EVENTS.size()).forEach(id -> {
            String data = MultibyteTexts.EVENTS.get(id);
            chunks.add("id: " + id + "\n");
            data.lines().forEach(line -> chunks.add("data:" + line + "\n"));
            chunks.set(chunks.size() - 1, chunks.getLast() + "\n");
            events.add(event("message", data, String.valueOf(id)));
        });
        chunks.add(DONE);
        events.add(done("13"));
        return vector("esp-multibyte", chunks.toArray())
                .events(events.toArray(BrowserView.Event[]::new));
    }

    private static Vector comments() {
        List<Object> chunks = new ArrayList<>(List.of(
                ": Hello\n\n", ":".repeat(300), "\n", "data: First\n\n", ": Первый", ": 第二", "\n",
                "data: Second\n\n"));
        chunks.addAll(Collections.nCopies(10, ": Moop \n"));
        chunks.addAll(List.of(": ثالث", "\n", "data: Third\n\n", ":നാലാമത്തെ", "\n",
                "data: Fourth\n\n", ": " + MultibyteTexts.EMOJI + " :", "\n", "data: Fifth\n\n",
                DONE));
        return vector("esp-comments", chunks.toArray())
                .events(message("First"), message("Second"), message("Third"), message("Fourth"),
                        message("Fifth"), done(""));
    }
}

package dev.sluice.sse;

import static dev.sluice.sse.Vector.chunk;
import static dev.sluice.sse.Vector.event;
import static dev.sluice.sse.Vector.message;
import static dev.sluice.sse.Vector.vector;

import java.util.List;

/**
 * The web-platform-tests {@code eventsource/format-*} streams. Most are served by
 * {@code message.py} as one write of message + newline + "\n", kept here as three parts.
 */
class WptVectorsTest implements StreamVectors {

    static List<Vector> vectors() {
        return List.of(
                vector("wpt-format-bom",
                        chunk("\uFEFFdata:1\n\n\uFEFFdata:2\n\ndata:3", "\n\n", "\n"))
                        .events(message("1"), message("3")),
                vector("wpt-format-bom-2",
                        chunk("\uFEFF\uFEFFdata:1\n\ndata:2\n\ndata:3", "\n\n", "\n"))
                        .events(message("2"), message("3")),
                vector("wpt-format-comments",
                        chunk("data:1\r:\0\n:\r\ndata:2\n:", "x".repeat(2048),
                                "\rdata:3\n:data:fail\r:", "x".repeat(2048),
                                "\ndata:4\n", "", "\n"))
                        .events(message("1\n2\n3\n4")),
                vector("wpt-format-data-before-final-empty-line",
                        chunk("retry:1000\ndata:test1\n\nid:test\ndata:test2", "", "\n"))
                        .events(message("test1"))
                        .retry(1000),
                vector("wpt-format-field-data",
                        chunk("data:\n\ndata\ndata\n\ndata:test", "\n\n", "\n"))
                        .events(message(""), message("\n"), message("test")),
                vector("wpt-format-field-event-empty",
                        chunk("event: \ndata:data", "\n\n", "\n"))
                        .events(message("data")),
                vector("wpt-format-field-event",
                        chunk("event:test\ndata:x\n\ndata:x", "\n\n", "\n"))
                        .events(event("test", "x", ""), message("x")),
                vector("wpt-format-field-id",
                        "id: \u2026\nretry: 200\ndata: hello\n\n")
                        .events(event("message", "hello", "\u2026"))
                        .retry(200),
                vector("wpt-format-field-id-3-persists",
                        "id: 1\ndata: 1\n\ndata: 2\n\nid: 2\ndata:3\n\ndata:4\n\n")
                        .events(event("message", "1", "1"), event("message", "2", "1"),
                                event("message", "3", "2"), event("message", "4", "2")),
                vector("wpt-format-field-id-3-resets",
                        "id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n")
                        .events(event("message", "1", "1"), message("2"), message("3")),
                vector("wpt-format-field-id-3-resets-nocolon",
                        "id: 1\ndata: 1\n\nid\ndata:2\n\ndata:3\n\n")
                        .events(event("message", "1", "1"), message("2"), message("3")),
                vector("wpt-format-field-id-null",
                        "id: \0\0\nretry: 200\ndata: hello\n\n",
                        "id: x\0\nretry: 200\ndata: hello\n\n",
                        "id: \0x\nretry: 200\ndata: hello\n\n",
                        "id: x\0x\nretry: 200\ndata: hello\n\n",
                        "id:  \0\nretry: 200\ndata: hello\n\n")
                        .events(message("hello"), message("hello"), message("hello"),
                                message("hello"), message("hello"))
                        .retry(200, 200, 200, 200, 200),
                vector("wpt-format-field-parsing",
                        chunk("data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\r"
                                + "data_5\ndata:3\rdata:\r\n data:32\ndata:4\n", "", "\n"))
                        .events(message("\0\n 2\n1\n3\n\n4")),
                vector("wpt-format-field-retry-bogus",
                        chunk("retry:3000\nretry:1000x\ndata:x", "\n\n", "\n"))
                        .events(message("x"))
                        .retry(3000),
                vector("wpt-format-field-retry-empty",
                        chunk("retry\ndata:test", "\n\n", "\n"))
                        .events(message("test")),
                vector("wpt-format-field-retry",
                        chunk("retry:03000\ndata:x", "\n\n", "\n"))
                        .events(message("x"))
                        .retry(3000),
                vector("wpt-format-field-unknown",
                        chunk("data:test\n data\ndata\nfoobar:xxx\njustsometext\n"
                                + ":thisisacommentyay\ndata:test", "\n\n", "\n"))
                        .events(message("test\n\ntest")),
                vector("wpt-format-leading-space",
                        chunk("data:\ttest\rdata: \ndata:test", "\n\n", "\n"))
                        .events(message("\ttest\n\ntest")),
                vector("wpt-format-newlines",
                        chunk("data:test\r\ndata\ndata:test\r\n\r", "", "\n"))
                        .events(message("test\n\ntest")),
                vector("wpt-format-null-character",
                        chunk("data:\0\n\n", "\n\n", "\n"))
                        .events(message("\0")),
                // Served with charset=windows-1252; the stream is UTF-8 whatever the header says,
                // and SseReader never looks at headers.
                vector("wpt-format-utf-8",
                        chunk("data:ok\u2026", "\n\n", "\n"))
                        .events(message("ok\u2026")),
                // One iteration of message2.py; each chunk is one response.writer.write() call.
                vector("wpt-event-data",
                        "data:msg", "\n", "data: msg", "\n\n", ":", "\n", "falsefield:msg",
                        "\n\n", "falsefield:msg", "\n", "Data:data", "\n\n", "data", "\n\n",
                        "data:end", "\n\n")
                        .events(message("msg\nmsg"), message(""), message("end")),
                vector("wpt-eventsource-onmessage",
                        chunk("data: data", "\n\n", "\n"))
                        .events(message("data")));
    }
}

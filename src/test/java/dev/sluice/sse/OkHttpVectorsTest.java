package dev.sluice.sse;

import static dev.sluice.sse.Vector.event;
import static dev.sluice.sse.Vector.message;
import static dev.sluice.sse.Vector.vector;

import java.util.List;

/**
 * The streams of OkHttp's {@code ServerSentEventIteratorTest}, each one write. OkHttp reports an
 * empty id as null; the expectations here are the browser's last event ID string ("").
 */
class OkHttpVectorsTest implements StreamVectors {

    static List<Vector> vectors() {
        return List.of(
                vector("okhttp-multiline", "data: YHOO\ndata: +2\ndata: 10\n\n")
                        .events(message("YHOO\n+2\n10")),
                vector("okhttp-multiline-cr", "data: YHOO\rdata: +2\rdata: 10\r\r")
                        .events(message("YHOO\n+2\n10")),
                vector("okhttp-multiline-crlf", "data: YHOO\r\ndata: +2\r\ndata: 10\r\n\r\n")
                        .events(message("YHOO\n+2\n10")),
                vector("okhttp-event-type",
                        "event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\n"
                                + "event: add\ndata: 113411\n\n")
                        .events(event("add", "73857293", ""), event("remove", "2153", ""),
                                event("add", "113411", "")),
                vector("okhttp-comments-ignored", ": test stream\n\ndata: first event\nid: 1\n\n")
                        .events(event("message", "first event", "1"))
                        .comments("test stream"),
                vector("okhttp-id-cleared",
                        "data: first event\nid: 1\n\ndata: second event\nid\n\n"
                                + "data: third event\n\n")
                        .events(event("message", "first event", "1"), message("second event"),
                                message("third event")),
                // The final "data:" has no line terminator and is dropped.
                vector("okhttp-naked-field-names", "data\n\ndata\ndata\n\ndata:")
                        .events(message(""), message("\n")),
                vector("okhttp-colon-space-optional", "data:test\n\ndata: test\n\n")
                        .events(message("test"), message("test")),
                vector("okhttp-leading-whitespace", "data:  test\n\n")
                        .events(message(" test")),
                vector("okhttp-id-reused",
                        "data: first event\nid: 1\n\ndata: second event\n\n"
                                + "id: 2\ndata: third event\n\n")
                        .events(event("message", "first event", "1"),
                                event("message", "second event", "1"),
                                event("message", "third event", "2")),
                // OkHttp keeps id "1" for the second event; WHATWG commits the id-only block's "2"
                // at its blank line, and the relay follows WHATWG.
                vector("okhttp-id-from-empty-event",
                        "data: first event\nid: 1\n\nid: 2\n\ndata: second event\n\n")
                        .events(event("message", "first event", "1"),
                                event("message", "second event", "2")),
                vector("okhttp-retry", "retry: 22\n\ndata: first event\nid: 1\n\n")
                        .events(event("message", "first event", "1"))
                        .retry(22),
                vector("okhttp-retry-invalid", "retry: 22\n\nretry: hey\n")
                        .retry(22),
                vector("okhttp-name-prefix-ignored",
                        "data: a\neventually\ndatabase\nidentity\nretrying\n\n")
                        .events(message("a")),
                vector("okhttp-naked-name-clears", "id: a\nevent: b\ndata: c\nid\nevent\ndata\n\n")
                        .events(message("c\n")));
    }
}

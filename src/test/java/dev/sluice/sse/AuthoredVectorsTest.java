package dev.sluice.sse;

import static dev.sluice.sse.Vector.BOM;
import static dev.sluice.sse.Vector.chunk;
import static dev.sluice.sse.Vector.event;
import static dev.sluice.sse.Vector.hex;
import static dev.sluice.sse.Vector.message;
import static dev.sluice.sse.Vector.vector;

import java.util.List;

/**
 * The corpus's own authored streams: every line ending mixed with a BOM and 2-, 3- and 4-byte
 * characters, a line of 1.4 MiB of multi-byte text, invalid UTF-8, spaces after the colon, and
 * JSON data with colons and escaped CRLF.
 */
class AuthoredVectorsTest implements StreamVectors {

    private static final String LONG = "\u0436\u20ac\uD83D\uDE00".repeat(165_000);

    static List<Vector> vectors() {
        return List.of(
                vector("auth-awkward-mix", chunk(BOM,
                        "id: \u00e9\r\nevent:\u00fc\rdata: \uD83D\uDE00\u20ac\ndata\r\n\r",
                        "data:x\r\r:c\u00f6\n",
                        "data: \u00df\u4e2d\uD834\uDD1E\r\n\r\n",
                        "data: tail-without-blank-line"))
                        .events(event("\u00fc", "\uD83D\uDE00\u20ac\n", "\u00e9"),
                                event("message", "x", "\u00e9"),
                                event("message", "\u00df\u4e2d\uD834\uDD1E", "\u00e9"))
                        .comments("c\u00f6"),
                vector("auth-utf8-boundaries",
                        "data: a\u00e9\u20ac\uD83D\uDE00z\u00f1\u4e16\uD83C\uDF0D\n\n")
                        .events(message("a\u00e9\u20ac\uD83D\uDE00z\u00f1\u4e16\uD83C\uDF0D")),
                vector("auth-long-multibyte-line",
                        chunk("event: long\nid: L1\ndata: ", LONG, "\n\ndata: after\n\n"))
                        .events(event("long", LONG, "L1"), event("message", "after", "L1"))
                        .maxLineBytes(2 << 20),
                vector("auth-invalid-utf8",
                        chunk("data: a", hex("ff"), "b", hex("e282"), "c\n\n"))
                        .events(message("a\uFFFDb\uFFFDc")),
                vector("auth-data-space-variants",
                        "data:a\n\ndata: a\n\ndata:  a\n\ndata:\ta\n\ndata: \n\ndata:  \n\n")
                        .events(message("a"), message("a"), message(" a"), message("\ta"),
                                message(""), message(" ")),
                vector("auth-json-with-colons-and-crlf",
                        "event: thread.message.delta\r\ndata: {\"a\": \"b: c\", \"t\": \"x\\r\\ny\"}"
                                + "\r\n\r\nevent: done\r\ndata: [DONE]\r\n\r\n")
                        .events(event("thread.message.delta",
                                        "{\"a\": \"b: c\", \"t\": \"x\\r\\ny\"}", ""),
                                event("done", "[DONE]", "")));
    }
}

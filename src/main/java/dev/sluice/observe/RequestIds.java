package dev.sluice.observe;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** Short random ids that tie a request's log lines, transcript and response together. */
public final class RequestIds {

    private RequestIds() {}

    /** 16 hex digits: unique enough to find one request in a day of logs. */
    public static String next() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }
}

package dev.sluice.resume;

/**
 * The names in Redis of one stream's keys and channel: all carry the hash tag
 * {@code {stream:<id>}}, so that on a cluster one script may touch them all.
 */
record StreamKeys(String prefix, String id) {

    private static final String TAG = "{stream:";

    /** The stream's owner, route, holder and state: a hash. */
    String meta() {
        return channel() + ":meta";
    }

    /** The events: a Redis stream. */
    String log() {
        return channel() + ":log";
    }

    /** The holder's liveness: gone soon after it stops beating. */
    String alive() {
        return channel() + ":alive";
    }

    /** The counter that numbers readers. */
    String readers() {
        return channel() + ":readers";
    }

    /** The current reader's number, for as long as its reads renew it. */
    String reading() {
        return channel() + ":reading";
    }

    /** Wakes readers and reaches the holder. */
    String channel() {
        return prefix + TAG + id + "}";
    }

    /** The id of the stream whose {@linkplain #channel channel} this is, or null for another. */
    static String idOf(String channel) {
        int open = channel.indexOf(TAG);
        return open < 0 ? null : channel.substring(open + TAG.length(), channel.length() - 1);
    }
}

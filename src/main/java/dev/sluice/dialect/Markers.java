package dev.sluice.dialect;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Byte strings whose presence in an event's bytes makes the event worth decoding: a cheap,
 * one-pass look that selects the few events a dialect must parse and never decides alone.
 */
final class Markers {

    private final byte[][] markers;
    /**
     * For each byte that begins a marker, the bytes that may follow it; null for the rest. Most
     * bytes of an event are passed over at one look, and most of the others (a quote begins
     * nearly every JSON string) at a second.
     */
    private final boolean[][] next = new boolean[256][];

    Markers(String... markers) {
        this.markers = Arrays.stream(markers).map(m -> m.getBytes(StandardCharsets.UTF_8))
                .toArray(byte[][]::new);
        for (byte[] marker : this.markers) {
            if (marker.length < 2) {
                throw new IllegalArgumentException("a marker of one byte selects too much");
            }
            int first = marker[0] & 0xFF;
            if (next[first] == null) {
                next[first] = new boolean[256];
            }
            next[first][marker[1] & 0xFF] = true;
        }
    }

    /** True when one of the markers is in {@code bytes[offset, offset + length)}. */
    boolean foundIn(byte[] bytes, int offset, int length) {
        int last = offset + length - 1;
        for (int i = offset; i < last; i++) {
            boolean[] follows = next[bytes[i] & 0xFF];
            if (follows != null && follows[bytes[i + 1] & 0xFF]
                    && startsAt(bytes, i, last + 1)) {
                return true;
            }
        }
        return false;
    }

    /** A plain loop: markers are a few bytes long, too short for {@code Arrays.equals} to pay. */
    private boolean startsAt(byte[] bytes, int at, int end) {
        for (byte[] marker : markers) {
            int n = marker.length;
            if (at + n > end) {
                continue;
            }
            int i = 0;
            while (i < n && bytes[at + i] == marker[i]) {
                i++;
            }
            if (i == n) {
                return true;
            }
        }
        return false;
    }
}

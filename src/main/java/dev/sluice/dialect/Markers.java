package dev.sluice.dialect;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Byte strings whose presence in an event's bytes makes the event worth decoding: a cheap,
 * one-pass look that selects the few events a dialect must parse and never decides alone.
 */
final class Markers {

    private final byte[][] markers;
    /** Whether a byte begins any marker: most bytes of an event are passed over at once. */
    private final boolean[] starts = new boolean[256];

    Markers(String... markers) {
        this.markers = Arrays.stream(markers).map(m -> m.getBytes(StandardCharsets.UTF_8))
                .toArray(byte[][]::new);
        for (byte[] marker : this.markers) {
            starts[marker[0] & 0xFF] = true;
        }
    }

    /** True when one of the markers is in {@code bytes[offset, offset + length)}. */
    boolean foundIn(byte[] bytes, int offset, int length) {
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            if (starts[bytes[i] & 0xFF] && startsAt(bytes, i, end)) {
                return true;
            }
        }
        return false;
    }

    private boolean startsAt(byte[] bytes, int at, int end) {
        for (byte[] marker : markers) {
            if (marker[0] == bytes[at] && at + marker.length <= end
                    && Arrays.equals(bytes, at, at + marker.length, marker, 0, marker.length)) {
                return true;
            }
        }
        return false;
    }
}

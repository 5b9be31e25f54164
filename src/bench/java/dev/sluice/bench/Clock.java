package dev.sluice.bench;

import java.time.Instant;

/** Microseconds since the epoch from the system clock, which every process on the host shares. */
final class Clock {

    private Clock() {}

    static long micros() {
        // Instant.now() reads the real-time clock at microsecond precision or better; the same
        // clock in the upstream and in the load client makes their stamps directly comparable.
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}

package dev.sluice.resume;

/** The shared store of replay logs (Redis) did not answer; its message names no credential. */
public final class LogUnavailable extends RuntimeException {

    public LogUnavailable(String message) {
        super(message, null, false, false);
    }
}

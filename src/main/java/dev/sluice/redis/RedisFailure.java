package dev.sluice.redis;

/** A call to Redis that failed or took too long; its message names no credential. */
public final class RedisFailure extends Exception {

    private final boolean timedOut;

    public RedisFailure(String message) {
        this(message, false);
    }

    RedisFailure(String message, boolean timedOut) {
        super(message, null, false, false);
        this.timedOut = timedOut;
    }

    /** Redis did not answer within the call's time limit. */
    boolean timedOut() {
        return timedOut;
    }
}

package dev.sluice.redis;

/** A call to Redis that failed or took too long; its message names no credential. */
public final class RedisFailure extends Exception {

    public RedisFailure(String message) {
        super(message, null, false, false);
    }
}

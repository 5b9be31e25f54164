package dev.sluice.access;

import dev.sluice.dialect.Dialect;

/**
 * What each caller may still do: open streams, requests per minute and tokens today, counted by
 * this instance alone ({@link LocalQuotas}) or shared with others ({@link SharedQuotas}).
 * Thread-safe.
 */
public interface Quotas extends AutoCloseable {

    /** A place taken in a caller's open streams; release it when the stream ends. */
    interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    /** Counts a new request against the caller's limits, or refuses it (429, or 503). */
    Slot enter(Caller caller) throws Refusal;

    /** Adds a finished stream's tokens to the caller's day. */
    void spent(Caller caller, long tokens);

    /** Adds the tokens an upstream reported, whatever the answer's path, to the caller's day. */
    default void charge(Caller caller, Dialect.Usage usage) {
        spent(caller, (usage.input() == null ? 0 : usage.input())
                + (usage.output() == null ? 0 : usage.output()));
    }

    /** Whether the quotas can be counted as configured; a reason when not, else null. */
    default String trouble() {
        return null;
    }

    @Override
    default void close() {}
}

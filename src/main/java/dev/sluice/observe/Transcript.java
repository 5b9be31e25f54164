package dev.sluice.observe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.config.Route;
import dev.sluice.dialect.Dialect;
import dev.sluice.dialect.Json;
import dev.sluice.sse.SseEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What one stream carried and how it went: its events (up to a bound), timing and outcome. The
 * relay thread records each event cheaply; the provider's final answer and the usage are worked
 * out from the events only when a listener asks, after the stream. The events that may report
 * usage are kept apart (the first and last few), so usage is known whatever the bound dropped.
 */
public final class Transcript {

    /** How a stream ended, as the transcript and the log name it. */
    public enum Outcome { DONE, UPSTREAM_CLOSED, UPSTREAM_ERROR, UPSTREAM_FAILED, TIMEOUT,
        SHUTDOWN, CLIENT_CLOSED }

    private final Route route;
    private final Dialect dialect;
    private final String model;
    private final int maxBytes;
    private final long startNanos;
    private static final int ENDS = 3;

    private final List<SseEvent> events = new ArrayList<>();
    private final List<SseEvent> usageFirst = new ArrayList<>(ENDS);
    private final SseEvent[] usageLast = new SseEvent[ENDS];
    private long usageLastNext;
    private Dialect.Usage usage;
    private JsonNode whole;
    private long firstEventNanos;
    private long endNanos;
    private int eventCount;
    private long bytes;
    private long keptBytes;
    private boolean truncated;
    private int passed;
    private Outcome outcome;
    private int status;
    private String failure;
    private String upstream;
    private String key;
    private int attempts;

    /** @param maxBytes event data to keep for the answer; 0 keeps none */
    Transcript(Route route, Dialect dialect, String model, int maxBytes) {
        this(route, dialect, model, maxBytes, System.nanoTime());
    }

    private Transcript(Route route, Dialect dialect, String model, int maxBytes,
            long startNanos) {
        this.startNanos = startNanos;
        this.route = route;
        this.dialect = dialect;
        this.model = model;
        this.maxBytes = maxBytes;
    }

    /**
     * The transcript of a fallback's stream, in place of this one, whose upstream gave out
     * before its first content event: timed from the same start, with nothing of it kept.
     */
    public Transcript again() {
        return new Transcript(route, dialect, model, maxBytes, startNanos);
    }

    /** On the relay thread, for an upstream event that was decoded; its data's size counted. */
    public void record(SseEvent event) {
        record(event, event.data() == null ? 0 : event.data().length());
    }

    /**
     * On the relay thread, for an event forwarded without being decoded: the dialect's look at
     * its bytes found nothing it must parse, and no content is kept.
     *
     * @param size the event's bytes as relayed
     */
    public void count(int size) {
        if (eventCount++ == 0) {
            firstEventNanos = System.nanoTime();
        }
        bytes += size;
    }

    /** Whether every event must be recorded whole: content is kept and the bound not reached. */
    public boolean keepsContent() {
        return maxBytes > 0 && !truncated;
    }

    /**
     * On the relay thread, for an upstream event that was decoded.
     *
     * @param bytes the event's bytes as relayed
     */
    public void record(SseEvent event, int bytes) {
        count(bytes);
        int size = event.data() == null ? 0 : event.data().length();
        if (dialect.mayReportUsage(event)) {
            keepForUsage(event);
        }
        if (maxBytes == 0) {
            return; // nobody asked for the content: nothing dropped from what was asked
        }
        if (keptBytes + size <= maxBytes) {
            keptBytes += size;
            events.add(event);
        } else {
            truncated = true;
        }
    }

    /**
     * On the relay thread, for an event too long to hold, passed on unread: it counts as an
     * event, adds nothing to the answer or the usage, and leaves a kept answer incomplete.
     */
    public void passed() {
        count(0); // its bytes are counted piece by piece, by passedBytes
        passed++;
        if (maxBytes > 0) {
            truncated = true;
        }
    }

    /** On the relay thread, for each piece of an event too long to hold: its bytes, counted. */
    public void passedBytes(int size) {
        bytes += size;
    }

    /**
     * A whole, non-streamed answer in place of events: its usage is read now, and the answer
     * is kept when content is (and it fits the bound).
     */
    public void answered(byte[] body) {
        bytes = body.length;
        JsonNode parsed;
        try {
            parsed = Json.mapper().readTree(body);
        } catch (IOException e) {
            parsed = null; // not JSON: no usage, and no answer to keep
        }
        usage = parsed == null ? Dialect.Usage.UNKNOWN : dialect.usage(parsed);
        if (maxBytes > 0 && parsed != null) {
            if (body.length <= maxBytes) {
                whole = parsed;
            } else {
                truncated = true;
            }
        }
    }

    /**
     * Of the events that may report usage, the first few (Anthropic's input count) and the last
     * few (the totals) are all usage needs: a few per stream, whatever its length, even when
     * every chunk names a usage.
     */
    private void keepForUsage(SseEvent event) {
        if (usageFirst.size() < ENDS) {
            usageFirst.add(event);
        } else {
            usageLast[(int) (usageLastNext++ % ENDS)] = event;
        }
    }

    /** The events kept for usage, in order. */
    private List<SseEvent> usageEvents() {
        List<SseEvent> all = new ArrayList<>(usageFirst);
        for (long i = Math.max(0, usageLastNext - ENDS); i < usageLastNext; i++) {
            all.add(usageLast[(int) (i % ENDS)]);
        }
        return all;
    }

    public void end(Outcome outcome, int status, String failure) {
        this.endNanos = System.nanoTime();
        this.outcome = outcome;
        this.status = status;
        this.failure = failure;
    }

    /**
     * Who served the answer, set before its first event.
     *
     * @param upstream the route of the chain whose upstream answered
     * @param key the fingerprint of the pool's key that served, or null for none
     * @param attempts the upstream calls it took, the one that answered included
     */
    public void served(String upstream, String key, int attempts) {
        this.upstream = upstream;
        this.key = key;
        this.attempts = attempts;
    }

    public Route route() {
        return route;
    }

    /** The route of the chain that served the answer; null before it was asked. */
    public String upstream() {
        return upstream;
    }

    /** The fingerprint of the key that served the answer, or null. */
    public String key() {
        return key;
    }

    /** The upstream calls the answer took; 0 when it was never asked for. */
    public int attempts() {
        return attempts;
    }

    /** The model the client asked for, or null. */
    public String model() {
        return model;
    }

    public Outcome outcome() {
        return outcome;
    }

    /** The HTTP status the client got. */
    public int status() {
        return status;
    }

    /** What went wrong, or null. */
    public String failure() {
        return failure;
    }

    /** Milliseconds from the request to the first upstream event, or -1 if none came. */
    public long ttfbMillis() {
        return eventCount == 0 ? -1 : (firstEventNanos - startNanos) / 1_000_000;
    }

    public long durationMillis() {
        return (endNanos - startNanos) / 1_000_000;
    }

    public int events() {
        return eventCount;
    }

    /** Events too long to hold, passed on without being read. */
    public int passedUnread() {
        return passed;
    }

    /** Bytes of the events relayed, as they were read, or the bytes of a whole answer. */
    public long bytes() {
        return bytes;
    }

    /**
     * True when content was asked to be kept and some was dropped past the bound; a transcript
     * that keeps no content drops nothing that was asked for.
     */
    public boolean truncated() {
        return truncated;
    }

    /** The usage the upstream reported; worked out once, after the stream. */
    public Dialect.Usage usage() {
        if (usage == null) {
            usage = dialect.usage(usageEvents());
        }
        return usage;
    }

    /**
     * The provider's non-streamed answer, as it came or assembled from the kept events: whole
     * unless it was longer than the bound; empty when content was not asked to be kept at all.
     */
    public JsonNode answer() {
        return whole != null ? whole : dialect.assemble(events);
    }
}

package dev.sluice.resume;

import dev.sluice.redis.RedisLink;
import dev.sluice.redis.Script;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Group commit of the appends of every stream this instance holds: one batch at a time goes to
 * Redis, as one script call (one per hash slot on a cluster), and whatever is waiting when its
 * answer arrives is the next batch. No timer: a lone append goes at once, and the more streams
 * append, the more each batch carries. Thread-safe; one virtual thread of its own sends.
 */
final class Appender implements AutoCloseable {

    private static final Script APPEND = Script.listOf(Appender.class, "append", "append.lua");
    /**
     * The most appends and bytes one batch carries (more when its first event alone is larger),
     * so that one script call holds Redis briefly and lands well within the Redis timeout.
     */
    static final int MAX_BATCH = 1024;
    static final int MAX_BATCH_BYTES = SharedStreams.LOOK_BYTES;
    private static final byte[] NO_CHANNEL = new byte[0];

    /** One event on its way: {@code landed} hears whether its log took it. */
    private record Pending(StreamKeys keys, long n, byte[] fields, boolean announce,
            CompletableFuture<Boolean> landed) {}

    private final RedisLink redis;
    private final byte[] maxEvents;
    private final BlockingQueue<Pending> waiting = new LinkedBlockingQueue<>();
    private final Thread sender;
    /** Taken from the queue and left for the next batch, which the last one had no room for. */
    private Pending carried;

    Appender(RedisLink redis, long maxEvents) {
        this.redis = redis;
        this.maxEvents = utf8(Long.toString(maxEvents));
        this.sender = Thread.ofVirtual().name("sluice-stream-appends").start(this::send);
    }

    /**
     * Queues event {@code n} for the stream's log, announced on its channel when
     * {@code announce}; the future completes with whether Redis took it, once its batch is
     * answered or has failed.
     */
    CompletableFuture<Boolean> append(StreamKeys keys, long n, byte[] fields, boolean announce) {
        CompletableFuture<Boolean> landed = new CompletableFuture<>();
        waiting.add(new Pending(keys, n, fields, announce, landed));
        return landed;
    }

    private void send() {
        List<Pending> batch = new ArrayList<>();
        try {
            while (true) {
                fill(batch);
                send(batch);
                batch.clear();
            }
        } catch (InterruptedException e) {
            // closed: what is left fails, and its streams go on without waiting
            if (carried != null) {
                batch.add(carried);
            }
            batch.addAll(waiting);
            batch.forEach(pending -> pending.landed().complete(false));
        }
    }

    /** Waits for an append, then takes what else waits, up to a batch's bounds. */
    private void fill(List<Pending> batch) throws InterruptedException {
        Pending first = carried == null ? waiting.take() : carried;
        carried = null;
        batch.add(first);
        long bytes = first.fields().length;
        while (batch.size() < MAX_BATCH) {
            Pending next = waiting.poll();
            if (next == null) {
                return;
            }
            bytes += next.fields().length;
            if (bytes > MAX_BATCH_BYTES) {
                carried = next;
                return;
            }
            batch.add(next);
        }
    }

    /** One batch: one script call per slot, all sent at once, then each awaited. */
    private void send(List<Pending> batch) {
        Map<Integer, List<Pending>> bySlot = new LinkedHashMap<>();
        for (Pending pending : batch) {
            bySlot.computeIfAbsent(redis.slot(pending.keys().log()), slot -> new ArrayList<>())
                    .add(pending);
        }
        List<List<Pending>> groups = List.copyOf(bySlot.values());
        List<RedisLink.ByteCall> calls = new ArrayList<>(groups.size());
        for (List<Pending> group : groups) {
            List<String> keys = new ArrayList<>(group.size());
            List<byte[]> args = new ArrayList<>(1 + 3 * group.size());
            args.add(maxEvents);
            for (Pending pending : group) {
                keys.add(pending.keys().log());
                args.add(utf8(pending.n() + "-0"));
                args.add(pending.fields());
                args.add(pending.announce() ? utf8(pending.keys().channel()) : NO_CHANNEL);
            }
            calls.add(new RedisLink.ByteCall(keys, args));
        }
        List<Object> answers = redis.appendEach(APPEND, calls);
        for (int i = 0; i < groups.size(); i++) {
            List<Pending> group = groups.get(i);
            List<?> taken = answers.get(i) instanceof List<?> list && list.size() == group.size()
                    ? list : null;
            for (int j = 0; j < group.size(); j++) {
                group.get(j).landed().complete(taken != null
                        && Long.valueOf(1).equals(taken.get(j)));
            }
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        sender.interrupt();
    }
}

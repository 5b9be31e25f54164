package dev.sluice.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.Iterator;
import java.util.Locale;
import java.util.PriorityQueue;

/**
 * A stand-in for OpenAI's streaming chat endpoint, run as its own process: each POST is answered
 * with paced {@code chat.completion.chunk} events stamped with their send time, all connections
 * served by one NIO thread that sleeps until the next event is due.
 */
public final class PacingUpstream {

    static final int BATCH = 8;
    private static final byte[] HEADERS = ascii("HTTP/1.1 200 OK\r\n"
            + "Content-Type: text/event-stream; charset=utf-8\r\n"
            + "Cache-Control: no-cache\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n");
    private static final byte[] DONE = ascii("e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n");
    /** OpenAI's answer to a request over its rate limit, with the cooldown it asks for. */
    private static final byte[] RATE_LIMITED = rateLimited();
    private static final String THROTTLED_AUTHORIZATION = "Bearer " + BenchKeys.THROTTLED;
    private static final byte[][] WORDS = words(" The", " relay", " forwards", " each",
            " token", " as", " soon", " as", " it", " arrives", ",", " in", " order", ".");

    private final Selector selector;
    private final PriorityQueue<Stream> due = new PriorityQueue<>(
            Comparator.comparingLong((Stream s) -> s.due).thenComparingLong(s -> s.turn));
    private long turns;
    private long streams;
    /** Requests that carried {@link BenchKeys#THROTTLED}, and how many of them were refused. */
    private long throttledRequests;
    private long rateLimited;

    private PacingUpstream(Selector selector) {
        this.selector = selector;
    }

    /**
     * Serves on a free loopback port, printed first. The request's message text chooses the pace,
     * {@code events=N gap_us=G}: event {@code i} is due {@code i * G} microseconds after the
     * request and carries {@code "i"} and {@code "t"} (its send time in microseconds since the
     * epoch) at the end of its JSON; {@code data: [DONE]} follows the last. {@code silence_us=S}
     * puts a silence of {@code S} microseconds before the event in the middle. With no gap, events
     * leave back to back, {@link #BATCH} to a write, the streams taking turns. Every
     * {@link BenchKeys#EVERY}th request with the key {@link BenchKeys#THROTTLED} is answered 429
     * instead, and {@code GET }{@link BenchKeys#COUNT_PATH} answers how many were.
     */
    public static void main(String[] args) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", 0), 8_192);
        server.configureBlocking(false);
        Selector selector = Selector.open();
        server.register(selector, SelectionKey.OP_ACCEPT);
        System.out.println("listening on " + server.socket().getLocalPort());
        System.out.flush();
        Thread.ofPlatform().daemon().start(PacingUpstream::exitWithParent);
        new PacingUpstream(selector).run();
    }

    /** The benchmark holds this process's standard input; its end means the benchmark ended. */
    private static void exitWithParent() {
        try {
            while (System.in.read() >= 0) {
                // nothing is ever sent; wait for the end
            }
        } catch (IOException e) {
            // the same as the end
        }
        System.exit(0);
    }

    private void run() throws IOException {
        while (true) {
            // One turn per due stream a pass, so back-to-back streams cannot starve new requests.
            long now = System.nanoTime();
            Stream next;
            while ((next = due.peek()) != null && next.due <= now) {
                due.poll().send();
            }
            if (next == null) {
                selector.select();
            } else {
                long millis = (next.due - System.nanoTime() + 999_999) / 1_000_000;
                if (millis > 0) {
                    selector.select(millis);
                } else {
                    selector.selectNow();
                }
            }
            Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
            while (keys.hasNext()) {
                SelectionKey key = keys.next();
                keys.remove();
                if (key.isAcceptable()) {
                    accept((ServerSocketChannel) key.channel());
                } else if (key.isValid()) {
                    Stream stream = (Stream) key.attachment();
                    if (key.isReadable()) {
                        stream.read();
                    } else if (key.isWritable()) {
                        stream.drain();
                    }
                }
            }
        }
    }

    private void accept(ServerSocketChannel server) throws IOException {
        SocketChannel channel;
        while ((channel = server.accept()) != null) {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Stream stream = new Stream(channel);
            stream.key = channel.register(selector, SelectionKey.OP_READ, stream);
        }
    }

    private static long parameter(String text, String name, long fallback) {
        int at = text.indexOf(name);
        if (at < 0) {
            return fallback;
        }
        int end = at += name.length();
        while (end < text.length() && Character.isDigit(text.charAt(end))) {
            end++;
        }
        return end > at ? Long.parseLong(text.substring(at, end)) : fallback;
    }

    private static byte[] rateLimited() {
        String body = "{\"error\":{\"message\":\"Rate limit reached for gpt-4o-mini on requests "
                + "per min (RPM). Please try again in " + BenchKeys.COOLDOWN_MS + "ms.\","
                + "\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}";
        return ascii("HTTP/1.1 429 Too Many Requests\r\n"
                + "Content-Type: application/json\r\n"
                + "retry-after-ms: " + BenchKeys.COOLDOWN_MS + "\r\n"
                + "x-ratelimit-remaining-requests: 0\r\n"
                + "x-ratelimit-reset-requests: " + BenchKeys.COOLDOWN_MS + "ms\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body);
    }

    /** How many 429s were sent, as a whole HTTP answer. */
    private static String count(long value) {
        String body = Long.toString(value);
        return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                + body.length() + "\r\n\r\n" + body;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[][] words(String... words) {
        byte[][] bytes = new byte[words.length][];
        for (int i = 0; i < words.length; i++) {
            bytes[i] = ascii(words[i]);
        }
        return bytes;
    }

    /** One connection: it reads a request, streams the answer, then waits for the next one. */
    private final class Stream {

        private final SocketChannel channel;
        private final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
        private final ByteBuffer out = ByteBuffer.allocate(BATCH * 1_024 + 512);
        private SelectionKey key;
        private Frame frame;
        private int events;
        private long gapNanos;
        private long silenceNanos;
        private int index;
        private long start;
        private long due;
        private long turn;

        Stream(SocketChannel channel) {
            this.channel = channel;
        }

        void read() {
            try {
                if (channel.read(in) < 0) {
                    close();
                    return;
                }
                String text = new String(in.array(), 0, in.position(), StandardCharsets.ISO_8859_1);
                int body = text.indexOf("\r\n\r\n") + 4;
                if (body < 4 || text.length() < body + contentLength(text.substring(0, body))) {
                    return; // the rest of the request is still on its way
                }
                in.clear(); // one request at a time: clients wait for the answer before the next
                if (text.startsWith("GET " + BenchKeys.COUNT_PATH)) {
                    answer(ascii(count(rateLimited)));
                    return;
                }
                // Decided once per request, from its head: the events' path is left as it was.
                if (throttledKey(text.substring(0, body))
                        && ++throttledRequests % BenchKeys.EVERY == 0) {
                    rateLimited++;
                    answer(RATE_LIMITED);
                    return;
                }
                events = (int) parameter(text.substring(body), "events=", 1);
                gapNanos = parameter(text.substring(body), "gap_us=", 0) * 1_000;
                silenceNanos = parameter(text.substring(body), "silence_us=", 0) * 1_000;
                frame = new Frame(++streams, Clock.micros() / 1_000_000);
                index = -1; // the headers go first, with event 0
                start = System.nanoTime();
                key.interestOps(0);
                send();
            } catch (IOException | RuntimeException e) {
                close();
            }
        }

        /** Writes a whole answer that has no events, then waits for the next request. */
        private void answer(byte[] bytes) {
            events = 0;
            index = 1; // past the end: drain() goes back to reading
            key.interestOps(0);
            out.clear();
            out.put(bytes);
            out.flip();
            drain();
        }

        /** Writes what is due now: the headers and event 0, one event, or a batch, or the end. */
        void send() {
            if (!channel.isOpen()) {
                return;
            }
            out.clear();
            if (index < 0) {
                out.put(HEADERS);
                index = 0;
            }
            int batch = gapNanos == 0 ? BATCH : 1;
            for (int n = 0; n < batch && index < events; n++, index++) {
                out.put(frame.bytes, 0, frame.fill(index, Clock.micros()));
            }
            if (index == events) {
                out.put(DONE);
                index++;
            }
            out.flip();
            drain();
        }

        void drain() {
            try {
                channel.write(out);
                if (out.hasRemaining()) {
                    key.interestOps(SelectionKey.OP_WRITE); // the reader is behind: wait for it
                    return;
                }
                if (index > events) {
                    key.interestOps(SelectionKey.OP_READ); // the answer is complete
                    return;
                }
                key.interestOps(0);
                long now = System.nanoTime();
                due = gapNanos == 0 ? now : start + index * gapNanos
                        + (index >= events / 2 ? silenceNanos : 0);
                turn = turns++;
                PacingUpstream.this.due.add(this);
            } catch (IOException | RuntimeException e) {
                close();
            }
        }

        private void close() {
            key.cancel();
            try {
                channel.close();
            } catch (IOException e) {
                // already gone
            }
        }

        private static boolean throttledKey(String head) {
            for (String line : head.split("\r\n")) {
                if (line.regionMatches(true, 0, "authorization:", 0, 14)) {
                    return line.substring(14).trim().equals(THROTTLED_AUTHORIZATION);
                }
            }
            return false;
        }

        private static int contentLength(String head) {
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    return Integer.parseInt(line.substring(15).trim());
                }
            }
            return 0;
        }
    }

    /** One stream's HTTP chunks, built in place: a chunk per event, like OpenAI's own. */
    static final class Frame {

        private static final byte[] TAIL =
                ascii("\"},\"logprobs\":null,\"finish_reason\":null}],\"i\":");
        private static final byte[] STAMP = ascii(",\"t\":");
        private static final byte[] END = ascii("}\n\n");
        private static final byte[] HEX = ascii("0123456789abcdef");

        private final byte[] head;
        private final byte[] bytes = new byte[1_024];
        private final byte[] payload = new byte[512];

        Frame(long stream, long created) {
            String id = Long.toString(stream, 36);
            head = ascii("data: {\"id\":\"chatcmpl-B" + "0".repeat(28 - id.length()) + id
                    + "\",\"object\":\"chat.completion.chunk\",\"created\":" + created
                    + ",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,"
                    + "\"delta\":{\"content\":\"");
        }

        /** Writes event {@code i}, sent at {@code micros}, as a chunk; returns its length. */
        int fill(int i, long micros) {
            return chunk(event(i, micros));
        }

        /**
         * Writes event {@code i}, sent at {@code micros}, to {@link #payload()} as a relay reads
         * it (its field line and blank line, no chunk around it); returns its length.
         */
        int event(int i, long micros) {
            int n = put(payload, 0, head);
            n = put(payload, n, WORDS[i % WORDS.length]);
            n = put(payload, n, TAIL);
            n = digits(payload, n, i);
            n = put(payload, n, STAMP);
            n = digits(payload, n, micros);
            return put(payload, n, END);
        }

        byte[] payload() {
            return payload;
        }

        private int chunk(int n) {
            int at = 0;
            for (int shift = 8; shift >= 0; shift -= 4) { // payloads stay under 4 KiB
                if (n >> shift > 0 || shift == 0) {
                    bytes[at++] = HEX[(n >> shift) & 0xf];
                }
            }
            bytes[at++] = '\r';
            bytes[at++] = '\n';
            System.arraycopy(payload, 0, bytes, at, n);
            at += n;
            bytes[at++] = '\r';
            bytes[at++] = '\n';
            return at;
        }

        private static int put(byte[] to, int at, byte[] from) {
            System.arraycopy(from, 0, to, at, from.length);
            return at + from.length;
        }

        private static int digits(byte[] to, int at, long value) {
            int length = 1;
            for (long rest = value / 10; rest > 0; rest /= 10) {
                length++;
            }
            for (int i = at + length - 1; i >= at; i--) {
                to[i] = (byte) ('0' + value % 10);
                value /= 10;
            }
            return at + length;
        }
    }
}

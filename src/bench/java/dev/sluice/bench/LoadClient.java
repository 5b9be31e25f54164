package dev.sluice.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.function.IntConsumer;

/**
 * Opens a scenario's streams against one loopback port from a single NIO selector on the caller's
 * thread: requests written by hand, every response parsed as it arrives, each read stamped once.
 */
final class LoadClient {

    /**
     * What one run of a scenario against one target received.
     *
     * @param opened the streams the client began before the deadline, of {@code streams}
     */
    record Run(int streams, int opened, int sustained, int errors, int stalled,
            String firstError, long events, long bytes, double seconds, Stats latency,
            Stats latencyAllOpen, Stats firstByte) {

        /** Streams that had every event in order and {@code [DONE]}, stalled or not. */
        int completed() {
            return sustained + stalled;
        }
    }

    /** One stream's connection. */
    private record Exchange(SocketChannel channel, ResponseParser parser, ByteBuffer request) {}

    private final Scenario scenario;
    private final InetSocketAddress address;
    private final byte[] request;
    private final IntConsumer allStarted;
    private final ResponseParser[] parsers;
    private final Latencies latencies;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 18);
    private Selector selector;
    private int opened;
    private int open;
    private int ended;
    private int started;
    private long bytes;

    private LoadClient(Scenario scenario, int port, IntConsumer allStarted) {
        this.scenario = scenario;
        this.address = new InetSocketAddress("127.0.0.1", port);
        this.request = request(scenario, port);
        this.allStarted = allStarted;
        this.parsers = new ResponseParser[scenario.streams()];
        this.latencies = new Latencies((int) Math.min(scenario.totalEvents(), 1 << 24));
    }

    /**
     * Runs the scenario against {@code port}; {@code allStarted} is called once, on this thread,
     * when every stream has received its first byte, with how many were open at that moment.
     */
    static Run run(Scenario scenario, int port, IntConsumer allStarted) throws IOException {
        return new LoadClient(scenario, port, allStarted).run();
    }

    private Run run() throws IOException {
        int n = scenario.streams();
        long startMicros = Clock.micros();
        long start = System.nanoTime();
        long rampNanos = scenario.rampMs() * 1_000_000L;
        long deadline = start + scenario.deadlineMillis() * 1_000_000L;
        try (Selector opened = Selector.open()) {
            selector = opened;
            while (ended < n && System.nanoTime() < deadline) {
                long due = start + rampNanos * this.opened / n;
                while (this.opened < n && open < scenario.concurrency()
                        && System.nanoTime() >= due) {
                    open(this.opened++);
                    due = start + rampNanos * this.opened / n;
                }
                boolean more = this.opened < n && open < scenario.concurrency();
                long waitMillis = more ? (due - System.nanoTime()) / 1_000_000 : 100;
                selector.select(Math.max(1, waitMillis));
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    ready(key, (Exchange) key.attachment());
                }
            }
            for (SelectionKey key : selector.keys()) {
                ResponseParser parser = ((Exchange) key.attachment()).parser();
                if (!parser.complete()) { // cancelled keys of ended streams linger in keys()
                    parser.fail("still open at the deadline");
                }
                key.channel().close();
            }
        }
        return summary(startMicros);
    }

    private void open(int index) {
        ResponseParser parser = new ResponseParser(latencies);
        parsers[index] = parser;
        open++;
        try {
            SocketChannel channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Exchange exchange = new Exchange(channel, parser, ByteBuffer.wrap(request));
            SelectionKey key = channel.register(selector, SelectionKey.OP_CONNECT, exchange);
            if (channel.connect(address)) {
                send(key, exchange);
            }
        } catch (IOException e) {
            parser.fail("connect: " + e.getMessage());
            open--;
            ended++;
        }
    }

    private void ready(SelectionKey key, Exchange exchange) {
        try {
            if (key.isConnectable()) {
                if (exchange.channel().finishConnect()) {
                    send(key, exchange);
                }
            } else if (key.isWritable()) {
                send(key, exchange);
            } else if (key.isReadable()) {
                receive(key, exchange);
            }
        } catch (IOException e) {
            exchange.parser().fail(e.getClass().getSimpleName() + ": " + e.getMessage());
            end(key, exchange);
        }
    }

    private void send(SelectionKey key, Exchange exchange) throws IOException {
        exchange.channel().write(exchange.request());
        if (exchange.request().hasRemaining()) {
            key.interestOps(SelectionKey.OP_WRITE);
        } else {
            exchange.parser().sent(Clock.micros());
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void receive(SelectionKey key, Exchange exchange) throws IOException {
        buffer.clear();
        int read = exchange.channel().read(buffer);
        long micros = Clock.micros();
        ResponseParser parser = exchange.parser();
        if (read < 0) {
            parser.closed();
            end(key, exchange);
            return;
        }
        bytes += read;
        boolean first = !parser.gotFirstByte();
        parser.feed(buffer.array(), 0, read, micros);
        if (first && ++started == parsers.length) {
            latencies.allOpen(micros);
            allStarted.accept(open);
        }
        if (parser.complete()) {
            end(key, exchange);
        }
    }

    private void end(SelectionKey key, Exchange exchange) {
        key.cancel();
        try {
            exchange.channel().close();
        } catch (IOException e) {
            // closing a loopback socket that failed already: nothing left to do
        }
        open--;
        ended++;
    }

    private Run summary(long startMicros) {
        int sustained = 0;
        int errors = 0;
        int stalled = 0;
        String firstError = null;
        long events = 0;
        long last = startMicros;
        Samples firstBytes = new Samples(parsers.length);
        for (ResponseParser parser : parsers) {
            String error = parser == null ? "not opened before the deadline"
                    : parser.error(scenario.events());
            if (parser != null) {
                events += parser.events();
                last = Math.max(last, parser.lastMicros());
                if (parser.gotFirstByte()) {
                    firstBytes.add(parser.firstByteMicros());
                }
            }
            if (error != null) {
                errors++;
                firstError = firstError == null ? error : firstError;
            } else if (parser.longestGapMicros() > scenario.stallLimitMicros()) {
                stalled++;
            } else {
                sustained++;
            }
        }
        return new Run(parsers.length, opened, sustained, errors, stalled, firstError, events,
                bytes, (last - startMicros) / 1e6, latencies.all(), latencies.allOpen(),
                firstBytes.stats());
    }

    /** The chat request that asks the pacing upstream for the scenario's pace. */
    static String body(Scenario scenario) {
        return "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"events=" + scenario.events() + " gap_us="
                + scenario.gapMs() * 1_000L + " silence_us=" + scenario.silenceMs() * 1_000L
                + "\"}]}";
    }

    /** {@link #body} as a whole HTTP/1.1 request to {@code port}. */
    static byte[] request(Scenario scenario, int port) {
        String body = body(scenario);
        String head = "POST /v1/chat/completions HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + port + "\r\n"
                + "Content-Type: application/json\r\n"
                + "Accept: text/event-stream\r\n"
                + "Authorization: Bearer sk-client-placeholder\r\n"
                + (scenario.resumable() ? "X-Sluice-Resumable: true\r\n" : "")
                + "Content-Length: " + body.length() + "\r\n\r\n";
        return (head + body).getBytes(StandardCharsets.UTF_8);
    }
}

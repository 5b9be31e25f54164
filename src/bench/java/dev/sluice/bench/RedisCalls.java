package dev.sluice.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The calls of each command a redis-server has run, from {@code INFO commandstats}, asked over
 * a plain socket, and the calls Sluice made and waited for, from its {@code /metrics} (each
 * script call, a batch of appends, once): the difference between two of them is what a run cost
 * Redis, and how many round trips it took.
 */
record RedisCalls(Map<String, Long> byCommand, double roundTrips) {

    private static final Pattern LINE = Pattern.compile("cmdstat_([a-z|]+):calls=(\\d+)");
    private static final String ROUND_TRIPS = "sluice_redis_calls_seconds_count{";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** Of the redis-server on {@code port} and the Sluice on {@code sluicePort}. */
    static RedisCalls of(int port, int sluicePort) throws IOException, InterruptedException {
        HttpResponse<Stream<String>> metrics = HTTP.send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + sluicePort + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofLines());
        double roundTrips = metrics.body().filter(line -> line.startsWith(ROUND_TRIPS))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ')
                        + 1))).sum();
        return new RedisCalls(commands(port), roundTrips);
    }

    private static Map<String, Long> commands(int port) throws IOException {
        try (Socket socket = new Socket(InetAddress.getByName("127.0.0.1"), port)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write("INFO commandstats\r\n".getBytes(
                    StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            String header = line(in); // $<length>
            int length = Integer.parseInt(header.substring(1));
            String text = new String(in.readNBytes(length), StandardCharsets.US_ASCII);
            Map<String, Long> calls = new TreeMap<>();
            Matcher m = LINE.matcher(text);
            while (m.find()) {
                calls.put(m.group(1), Long.parseLong(m.group(2)));
            }
            return calls;
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("redis-server closed the connection");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    /**
     * What ran since {@code before}, less the INFO that asked: each command's calls and all of
     * them per event (the calls a script makes are counted under their own names too), and
     * Sluice's round trips per event.
     */
    String since(RedisCalls before, long events) {
        Map<String, Long> ran = new TreeMap<>();
        byCommand.forEach((command, calls) -> {
            long delta = calls - before.byCommand.getOrDefault(command, 0L)
                    - (command.equals("info") ? 1 : 0);
            if (delta > 0) {
                ran.put(command, delta);
            }
        });
        return ran.toString() + String.format(Locale.ROOT, ", %.3f per event; Sluice's round "
                + "trips %.3f per event", ran.values().stream().mapToLong(Long::longValue).sum()
                / (double) events, (roundTrips - before.roundTrips) / events);
    }
}

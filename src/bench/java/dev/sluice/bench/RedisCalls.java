package dev.sluice.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The calls of each command a redis-server has run, from {@code INFO commandstats}, asked over
 * a plain socket: the difference between two of them is what a run cost Redis.
 */
record RedisCalls(Map<String, Long> byCommand) {

    private static final Pattern LINE = Pattern.compile("cmdstat_([a-z|]+):calls=(\\d+)");

    static RedisCalls of(int port) throws IOException {
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
            return new RedisCalls(calls);
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
     * them per event (the calls a script makes are counted under their own names too).
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
        return ran.toString() + String.format(Locale.ROOT, ", %.3f per event",
                ran.values().stream().mapToLong(Long::longValue).sum() / (double) events);
    }
}

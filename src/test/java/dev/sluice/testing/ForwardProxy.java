package dev.sluice.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An HTTP forward proxy on a loopback ephemeral port, as a company's outbound proxy is: a
 * request in absolute form ({@code POST http://host:port/path}) is passed to the host, and
 * {@code CONNECT host:port} is refused with 403, as a proxy does for a host it does not allow.
 * Host names are looked up in the map it is given, never in DNS, so upstreams named as remote
 * hosts are reached on loopback.
 */
public final class ForwardProxy implements AutoCloseable {

    private final ServerSocket server;
    private final Map<String, Integer> hosts;
    private final List<String> requestLines = new CopyOnWriteArrayList<>();

    /** @param hosts the port on 127.0.0.1 that each host name reaches */
    public ForwardProxy(Map<String, Integer> hosts) throws IOException {
        this.hosts = Map.copyOf(hosts);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("forward-proxy").start(this::accept);
    }

    /** As {@code HTTP_PROXY} names it. */
    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** The first line of every request the proxy was sent, in order. */
    public List<String> requestLines() {
        return List.copyOf(requestLines);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Thread.ofVirtual().start(() -> serve(client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            String head = readHead(in);
            String line = head.substring(0, head.indexOf("\r\n"));
            requestLines.add(line);
            String[] parts = line.split(" ");
            if (parts[0].equals("CONNECT")) {
                client.getOutputStream().write(("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                return;
            }
            URI target = URI.create(parts[1]);
            Integer port = hosts.get(target.getHost());
            if (port == null || target.getPort() != port) {
                client.getOutputStream().write(("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0"
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                return;
            }
            try (Socket upstream = new Socket()) {
                upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                OutputStream out = upstream.getOutputStream();
                out.write((parts[0] + " " + target.getRawPath() + " " + parts[2]
                        + head.substring(line.length())).getBytes(StandardCharsets.ISO_8859_1));
                Thread.ofVirtual().start(() -> pipe(in, out));
                upstream.getInputStream().transferTo(client.getOutputStream());
            }
        } catch (IOException e) {
            // the client or upstream went away: so does this exchange
        }
    }

    private static void pipe(InputStream in, OutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException e) {
            // either side closed
        }
    }

    /** The request line and headers, up to and including the empty line. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the request ended in its head");
            }
            head.write(b);
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}

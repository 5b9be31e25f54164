package dev.sluice.server;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The demo page's files, from {@code webapp/} on the class path, for the executable jar (a WAR's
 * container serves them itself). Jetty's own file servlet would open the jar as a file system
 * to list it: an index of every class in the jar, a tenth of start-up and megabytes of heap for
 * five files. These are read through the class loader instead, each once, when first asked for.
 */
final class DemoPageServlet extends HttpServlet {

    /** Where the page's files are on the class path. */
    private static final String ROOT = "webapp/";
    private static final ClassLoader LOADER = DemoPageServlet.class.getClassLoader();
    /** A file directly in {@link #ROOT}: no directories, nothing hidden, no way out. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*\\.[a-z0-9]+");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html;charset=utf-8",
            "js", "text/javascript;charset=utf-8",
            "css", "text/css;charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "json", "application/json",
            "txt", "text/plain;charset=utf-8");

    private record File(byte[] bytes, String type, String etag) {}

    private final transient Map<String, File> files = new ConcurrentHashMap<>();

    /** Whether the class path holds the page at all. */
    static boolean present() {
        return LOADER.getResource(ROOT + "index.html") != null;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        String path = request.getServletPath() + (request.getPathInfo() == null ? ""
                : request.getPathInfo());
        String name = path.equals("/") ? "index.html" : path.substring(1);
        File file = NAME.matcher(name).matches() ? file(name) : null;
        if (file == null) {
            response.sendError(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        // Revalidated on every load, so a new build's page is never served stale.
        response.setHeader("Cache-Control", "no-cache");
        response.setHeader("ETag", file.etag());
        if (file.etag().equals(request.getHeader("If-None-Match"))) {
            response.setStatus(HttpServletResponse.SC_NOT_MODIFIED);
            return;
        }
        response.setContentType(file.type());
        response.setContentLength(file.bytes().length);
        response.getOutputStream().write(file.bytes());
    }

    private File file(String name) throws IOException {
        File known = files.get(name);
        if (known != null) {
            return known;
        }
        String type = TYPES.get(name.substring(name.lastIndexOf('.') + 1));
        if (type == null) {
            return null;
        }
        try (InputStream in = LOADER.getResourceAsStream(ROOT + name)) {
            if (in == null) {
                return null; // not cached: only files that exist take room
            }
            byte[] bytes = in.readAllBytes();
            File file = new File(bytes, type,
                    "\"" + Integer.toHexString(Arrays.hashCode(bytes)) + "\"");
            files.putIfAbsent(name, file);
            return file;
        }
    }
}

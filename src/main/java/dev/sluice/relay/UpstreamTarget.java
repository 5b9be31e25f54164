package dev.sluice.relay;

import dev.sluice.access.Refusal;
import dev.sluice.config.Route;
import dev.sluice.dialect.Dialect;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where a client's request goes and with which headers. The client chooses only the rest of the
 * path under the route's prefix, checked to be plain segments, so the host, and the path above
 * the route's URL, are always the route's.
 */
final class UpstreamTarget {

    /** Plain path segments: no encoded bytes, no dot segments, no '@', '\' or empty segment. */
    private static final Pattern REST = Pattern.compile("(/[A-Za-z0-9_~.-]+)+");
    private static final Pattern QUERY_PART = Pattern.compile("[A-Za-z0-9_.~%+=-]*");
    /** Client headers that select API features, never credentials or routing. */
    private static final List<String> CLIENT_HEADERS = List.of(
            "anthropic-version", "anthropic-beta", "openai-beta");

    private UpstreamTarget() {}

    static URI of(Route route, HttpServletRequest request) throws Refusal {
        if (route.missingKey() != null) {
            throw new Refusal(503, "upstream_not_configured", "no " + route.missingKey()
                    + " is set: route '" + route.name() + "' has no key for its upstream, so "
                    + "Sluice does not call it; set " + route.missingKey() + " and restart");
        }
        String raw = request.getRequestURI().substring(request.getContextPath().length());
        String rest = raw.substring(route.prefix().length());
        if (!REST.matcher(rest).matches() || rest.contains("/./") || rest.contains("/../")
                || rest.endsWith("/.") || rest.endsWith("/..")) {
            throw new Refusal(400, "invalid_request_error", "path '" + raw + "' is not allowed: "
                    + "only plain path segments may follow " + route.prefix());
        }
        String query = query(route, request.getQueryString());
        URI base = route.simulated() ? simulatedBase(route, request) : route.url();
        return URI.create(base + rest + (query.isEmpty() ? "" : "?" + query));
    }

    /** The client's query, with the route's parameters in place of any of the same name. */
    private static String query(Route route, String client) throws Refusal {
        StringBuilder query = new StringBuilder();
        if (client != null && !client.isEmpty()) {
            for (String pair : client.split("&")) {
                String name = pair.split("=", 2)[0];
                if (!QUERY_PART.matcher(pair).matches()) {
                    throw new Refusal(400, "invalid_request_error", "query parameter '" + name
                            + "' has characters that must be percent-encoded");
                }
                if (!route.policy().query().containsKey(name)) {
                    query.append(query.isEmpty() ? "" : "&").append(pair);
                }
            }
        }
        route.policy().query().forEach((name, value) -> query.append(query.isEmpty() ? "" : "&")
                .append(encode(name)).append('=').append(encode(value)));
        return query.toString();
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    /**
     * The built-in simulated upstream, reached over loopback HTTP like any other upstream, and
     * laid out as the provider's own URLs are: OpenAI's base ends in /v1, Anthropic's does not.
     */
    private static URI simulatedBase(Route route, HttpServletRequest request) {
        String host = request.getLocalAddr();
        if (host.indexOf(':') >= 0) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + request.getLocalPort()
                + request.getContextPath() + "/simulated"
                + ("anthropic-messages".equals(route.dialect()) ? "" : "/v1"));
    }

    /** The credential, the client's feature headers, then the route's own (which win). */
    static Map<String, String> headers(Route route, Dialect dialect, HttpServletRequest request) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (String name : CLIENT_HEADERS) {
            String value = request.getHeader(name);
            if (value != null && value.indexOf('\r') < 0 && value.indexOf('\n') < 0) {
                headers.put(name, value);
            }
        }
        route.policy().headers().forEach((name, value) ->
                headers.put(name.toLowerCase(Locale.ROOT), value));
        if (route.key() != null) {
            Dialect.Header credential = dialect.credential(route.key());
            headers.put(credential.name(), credential.value());
        }
        return headers;
    }
}

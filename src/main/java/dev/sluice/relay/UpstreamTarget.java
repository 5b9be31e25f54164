package dev.sluice.relay;

import dev.sluice.access.Refusal;
import dev.sluice.config.Operation;
import dev.sluice.config.Route;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where a client's request goes and with which headers. The client chooses only the rest of the
 * path under the route's prefix, checked to be plain segments and one of the route's operations,
 * so the host, the path above the route's URL and what the key may do are always the route's.
 */
final class UpstreamTarget {

    /** Plain path segments: no encoded bytes, no dot segments, no '@', '\' or empty segment. */
    private static final Pattern REST = Pattern.compile("(/[A-Za-z0-9_~.-]+)+");
    private static final Pattern QUERY_PART = Pattern.compile("[A-Za-z0-9_.~%+=-]*");
    /** Client headers that select API features, never credentials or routing. */
    private static final List<String> CLIENT_HEADERS = List.of(
            "anthropic-version", "anthropic-beta", "openai-beta");

    private UpstreamTarget() {}

    /**
     * The rest of the path under the route's prefix of a request that is one of the route's
     * operations, checked to be plain segments.
     *
     * @param response gets the {@code Allow} header when only the method is wrong
     */
    static String rest(Route route, HttpServletRequest request, HttpServletResponse response)
            throws Refusal {
        String uri = request.getRequestURI();
        String head = request.getContextPath() + route.prefix();
        if (!uri.startsWith(head)) {
            // The container matched the decoded path: an encoded prefix would shift the rest.
            throw new Refusal(400, "invalid_request_error", "path '" + uri + "' is not allowed: "
                    + "write " + head + " without percent-encoding");
        }
        String raw = uri.substring(request.getContextPath().length());
        String rest = raw.substring(route.prefix().length());
        if (!REST.matcher(rest).matches() || rest.contains("/./") || rest.contains("/../")
                || rest.endsWith("/.") || rest.endsWith("/..")) {
            throw new Refusal(400, "invalid_request_error", "path '" + raw + "' is not allowed: "
                    + "only plain path segments may follow " + route.prefix());
        }
        allow(route, request, rest, response);
        configured(route);
        return rest;
    }

    /** Refuses a route whose upstream needs a key that is not set. */
    static void configured(Route route) throws Refusal {
        if (route.missingKey() != null) {
            throw new Refusal(503, "upstream_not_configured", "no " + route.missingKey()
                    + " is set: route '" + route.name() + "' has no key for its upstream, so "
                    + "Sluice does not call it; set " + route.missingKey() + " and restart");
        }
    }

    /**
     * The URI of {@code rest}, one of the first route's operations' paths, on {@code route}'s
     * upstream (the first route's own, or a fallback's), with that route's query.
     */
    static URI at(Route route, UpstreamAsk ask) throws Refusal {
        configured(route);
        String query = query(route, ask.query());
        URI base = route.simulated() ? URI.create(ask.simulated()
                + ("anthropic-messages".equals(route.dialect()) ? "" : "/v1")) : route.url();
        return URI.create(base + ask.rest() + (query.isEmpty() ? "" : "?" + query));
    }

    /**
     * Refuses what the route does not relay, matching the very path that would be sent: 404 for
     * a path that is none of its operations, 405 for another method on one of them.
     */
    private static void allow(Route route, HttpServletRequest request, String rest,
            HttpServletResponse response) throws Refusal {
        String method = request.getMethod();
        for (Operation operation : route.operations()) {
            if (operation.method().equals(method) && operation.matches(rest)) {
                return;
            }
        }
        List<Operation> here = route.operations().stream().filter(o -> o.matches(rest)).toList();
        String base = request.getContextPath() + route.prefix();
        String relays = "route " + route.name() + " relays only " + String.join(", ",
                route.operations().stream().map(o -> o.method() + " " + base + o.path()).toList());
        if (here.isEmpty()) {
            throw new Refusal(404, "not_found_error", method + " " + base + rest
                    + " is not relayed; " + relays);
        }
        response.setHeader("Allow", String.join(", ", here.stream().map(Operation::method)
                .distinct().toList()));
        throw new Refusal(405, "invalid_request_error", method + " is not allowed on " + base
                + rest + "; " + relays);
    }

    /**
     * The client's query without any parameter whose name could be read as one the route sets,
     * then the route's: so the route's value is the only one, whatever the upstream's framework
     * makes of encodings, case, punctuation or {@code name[]}.
     */
    private static String query(Route route, String client) throws Refusal {
        Set<String> fixed = new HashSet<>();
        for (String name : route.policy().query().keySet()) {
            fixed.add(loose(name));
        }
        StringBuilder query = new StringBuilder();
        if (client != null && !client.isEmpty()) {
            for (String pair : client.split("&")) {
                String name = pair.split("=", 2)[0];
                if (!QUERY_PART.matcher(pair).matches()) {
                    throw new Refusal(400, "invalid_request_error", "query parameter '" + name
                            + "' has characters that must be percent-encoded");
                }
                if (fixed.isEmpty() || !fixed.contains(loose(decoded(name)))) {
                    query.append(query.isEmpty() ? "" : "&").append(pair);
                }
            }
        }
        route.policy().query().forEach((name, value) -> query.append(query.isEmpty() ? "" : "&")
                .append(encode(name)).append('=').append(encode(value)));
        return query.toString();
    }

    private static String decoded(String name) throws Refusal {
        try {
            return URLDecoder.decode(name, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new Refusal(400, "invalid_request_error", "query parameter '" + name
                    + "' is not valid percent-encoding");
        }
    }

    /**
     * A parameter name as loosely as any server might read it: compatibility forms folded, case
     * folded both ways (so 'ſ' is 's'), anything from '[' on and every other character but
     * letters and digits dropped (PHP reads 'a.b' and 'a b' as 'a_b', 'a[]' as 'a').
     */
    private static String loose(String name) {
        String folded = Normalizer.normalize(name, Normalizer.Form.NFKC);
        int bracket = folded.indexOf('[');
        folded = (bracket < 0 ? folded : folded.substring(0, bracket))
                .toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT);
        return Normalizer.normalize(folded, Normalizer.Form.NFKD).replaceAll("[^a-z0-9]", "");
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    /**
     * The built-in simulated upstream, reached over loopback HTTP like any other upstream, and
     * laid out as the provider's own URLs are: OpenAI's base ends in /v1 (added by
     * {@link #at}), Anthropic's does not.
     */
    static String simulated(HttpServletRequest request) {
        String host = request.getLocalAddr();
        if (host.indexOf(':') >= 0) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + request.getLocalPort() + request.getContextPath()
                + "/simulated";
    }

    /** The client's feature headers worth passing to an upstream. */
    static Map<String, String> clientHeaders(HttpServletRequest request) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (String name : CLIENT_HEADERS) {
            String value = request.getHeader(name);
            if (value != null && value.indexOf('\r') < 0 && value.indexOf('\n') < 0) {
                headers.put(name, value);
            }
        }
        return headers;
    }

    /**
     * The client's feature headers, then the route's own (which win); the opener adds the
     * credential of each attempt's key.
     */
    static Map<String, String> headers(Route route, Map<String, String> client) {
        Map<String, String> headers = new LinkedHashMap<>(client);
        route.policy().headers().forEach((name, value) ->
                headers.put(name.toLowerCase(Locale.ROOT), value));
        return headers;
    }
}

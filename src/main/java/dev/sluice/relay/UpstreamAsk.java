package dev.sluice.relay;

import dev.sluice.access.Refusal;
import dev.sluice.chain.Ask;
import dev.sluice.config.Route;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.Map;

/**
 * A client's request as each route of its chain is asked it: the operation's path on that
 * route's upstream with its query, its headers, and the body with the model it knows.
 *
 * @param rest the path under the first route's prefix, one of its operations
 */
record UpstreamAsk(HttpServletRequest request, String rest, ClientRequest sent) implements Ask {

    @Override
    public URI target(Route route) throws Refusal {
        return UpstreamTarget.at(route, request, rest);
    }

    @Override
    public Map<String, String> headers(Route route) {
        return UpstreamTarget.headers(route, request);
    }

    @Override
    public byte[] body(Route route) {
        return sent.bodyFor(route.serving().model(sent.model()));
    }

    @Override
    public boolean stream() {
        return sent.stream();
    }
}

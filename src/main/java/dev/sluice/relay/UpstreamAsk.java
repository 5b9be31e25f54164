package dev.sluice.relay;

import dev.sluice.access.Refusal;
import dev.sluice.chain.Ask;
import dev.sluice.config.Route;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.Map;

/**
 * A client's request as each route of its chain is asked it: the operation's path on that
 * route's upstream with its query, its headers, and the body with the model it knows. It keeps
 * what it needs of the servlet request, so that a fallback can still be asked after the request
 * is over (a stream started by {@code POST .../streams}).
 *
 * @param query the client's query string, or null
 * @param simulated where this server's simulated upstream is
 * @param clientHeaders the client's feature headers worth passing on
 * @param rest the path under the first route's prefix, one of its operations
 * @param caller who asks, by the caller's id
 * @param notes what the client hears while it waits in a queue, or null: it waits silently
 */
record UpstreamAsk(String query, String simulated, Map<String, String> clientHeaders,
        String rest, ClientRequest sent, String caller, QueueNotes notes) implements Ask {

    UpstreamAsk(HttpServletRequest request, String rest, ClientRequest sent, String caller,
            QueueNotes notes) {
        this(request.getQueryString(), UpstreamTarget.simulated(request),
                UpstreamTarget.clientHeaders(request), rest, sent, caller, notes);
    }

    @Override
    public URI target(Route route) throws Refusal {
        return UpstreamTarget.at(route, this);
    }

    @Override
    public Map<String, String> headers(Route route) {
        return UpstreamTarget.headers(route, clientHeaders);
    }

    @Override
    public byte[] body(Route route) {
        return sent.bodyFor(route.serving().model(sent.model()));
    }

    @Override
    public boolean stream() {
        return sent.stream();
    }

    @Override
    public boolean queued(int position) {
        return notes == null || notes.say(position);
    }
}

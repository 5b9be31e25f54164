package dev.sluice.chain;

import dev.sluice.access.Refusal;
import dev.sluice.config.Route;
import java.net.URI;
import java.util.Map;

/** What a request asks, as each route of its chain is to be asked it. */
public interface Ask {

    /** The URI of the request's operation on {@code route}'s upstream. */
    URI target(Route route) throws Refusal;

    /** The headers for {@code route}'s upstream, without a credential; a map of its own. */
    Map<String, String> headers(Route route);

    /** A POST's body for {@code route}, its model renamed as the route says; null for a GET. */
    byte[] body(Route route);

    boolean stream();

    /** Who asks: a queue takes its callers' requests in turn. */
    String caller();

    /**
     * Tells the client that its request waits in the queue at {@code position} (a streaming
     * client gets a comment); false when the client has left.
     */
    boolean queued(int position);
}

package dev.sluice.config;

import java.util.Objects;
import java.util.Set;

/**
 * A client, or a group of them, and what it may do. Zero means no limit.
 *
 * @param routes the routes it may use; empty allows every route
 * @param models the models it may ask for; empty allows every model its routes allow
 * @param maxStreams streams it may have open at once
 * @param requestsPerMinute requests it may start per minute, in bursts of up to as many
 * @param dailyTokens input and output tokens it may use per UTC day, counted from usage reports
 */
public record Client(String name, Set<String> routes, Set<String> models, int maxStreams,
        int requestsPerMinute, long dailyTokens) {

    /** Anyone, without limits: the client of a Sluice without authentication. */
    public static final Client ANYONE = new Client("anyone", Set.of(), Set.of(), 0, 0, 0);

    public Client {
        Objects.requireNonNull(name, "name");
        routes = Set.copyOf(routes);
        models = Set.copyOf(models);
        if (maxStreams < 0 || requestsPerMinute < 0 || dailyTokens < 0) {
            throw new IllegalArgumentException("limits must not be negative");
        }
    }
}

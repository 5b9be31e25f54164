package dev.sluice.chain;

import dev.sluice.config.Route;

/** One route of a chain, with what it shares with every chain it is in: its keys and health. */
public record Link(Route route, KeyPool pool, Health health) {

    /** A route's own link: its pool, and its health by the given bounds. */
    public static Link of(Route route, KeyPool pool, int trips, long coolDownMillis) {
        return new Link(route, pool, new Health(route.name(), trips, coolDownMillis));
    }
}

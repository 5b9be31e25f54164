package dev.sluice.chain;

import dev.sluice.config.Route;

/**
 * One route of a chain, with what it shares with every chain it is in: its keys, its health and
 * its slots for open answers.
 */
public record Link(Route route, KeyPool pool, Health health, Slots slots) {

    /** A route's own link: its pool, its health by the given bounds, its max-concurrent. */
    public static Link of(Route route, KeyPool pool, int trips, long coolDownMillis) {
        return new Link(route, pool, new Health(route.name(), trips, coolDownMillis),
                new Slots(route.serving().maxConcurrent()));
    }

    /** Whether the route's upstream is skipped now after failing. */
    public boolean skipped() {
        return health.skipped();
    }
}

package dev.sluice.web;

import dev.sluice.access.Admission;
import dev.sluice.chain.Link;
import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.config.Route;
import dev.sluice.config.Secret;
import dev.sluice.observe.Redaction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies the access file and the upstream keys of settings read again (on SIGHUP) to a running
 * Sluice, from the next request on: a revoked token is refused, a rotated key used, and streams
 * in flight go on with what they had. Everything is checked before anything changes, so a
 * reload that fails leaves the settings in use as they were. Other settings take a restart.
 */
final class Reloader {

    private final Admission admission;
    private final Map<String, Link> links;
    private final Redaction redaction;
    private Config current;

    Reloader(Config config, Admission admission, Map<String, Link> links, Redaction redaction) {
        this.current = config;
        this.admission = admission;
        this.links = Map.copyOf(links);
        this.redaction = redaction;
    }

    /**
     * Takes {@code fresh}'s access file and keys.
     *
     * @return what was reloaded, for the log
     * @throws ConfigException when they cannot be taken without a restart; nothing changed
     */
    synchronized String reload(Config fresh) {
        if (fresh.access().configured() != current.access().configured()) {
            throw new ConfigException("an access file " + (fresh.access().configured()
                    ? "appeared" : "went away") + ", which changes who may call from where: "
                    + "that takes a restart");
        }
        Map<String, List<Secret>> keys = new LinkedHashMap<>();
        for (Route route : current.routes()) {
            Route next = fresh.routes().stream().filter(r -> r.name().equals(route.name()))
                    .findFirst().orElse(null);
            List<Secret> pool = next == null ? route.keys() : next.keys();
            if (!route.keys().isEmpty() && pool.isEmpty()) {
                throw new ConfigException("route " + route.name() + " would have no key left");
            }
            if (route.keys().isEmpty() && !pool.isEmpty()) {
                throw new ConfigException("route " + route.name() + " started without a key"
                        + (route.simulated() ? " (on the simulated upstream)" : "")
                        + "; a key for it takes a restart");
            }
            keys.put(route.name(), pool);
        }
        List<Secret> all = keys.values().stream().flatMap(List::stream).toList();
        // Known to every scrubber before any request can send one.
        redaction.learn(all);
        Redaction.learnEverywhere(all);
        admission.replace(fresh.access());
        List<String> changed = new ArrayList<>();
        keys.forEach((route, pool) -> {
            if (links.get(route).pool().replace(pool)) {
                changed.add("route " + route + " " + (pool.size() == 1 ? "key " + pool.getFirst()
                        : pool.size() + " keys " + pool));
            }
        });
        current = fresh;
        return "the access file (" + fresh.describe().get("SLUICE_ACCESS (-Dsluice.access)")
                + ") and keys (" + (changed.isEmpty() ? "unchanged"
                : String.join("; ", changed)) + "); other settings take a restart";
    }
}

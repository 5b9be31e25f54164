package dev.sluice.access;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open-stream leases this instance holds, by the Redis key of their client's leases: what
 * it must renew so that Redis keeps counting its streams. Thread-safe.
 */
final class Leases {

    private final Map<String, Set<String>> held = new ConcurrentHashMap<>();

    void hold(String key, String lease) {
        held.compute(key, (k, leases) -> {
            Set<String> all = leases == null ? ConcurrentHashMap.newKeySet() : leases;
            all.add(lease);
            return all;
        });
    }

    void release(String key, String lease) {
        held.computeIfPresent(key, (k, leases) -> {
            leases.remove(lease);
            return leases.isEmpty() ? null : leases;
        });
    }

    boolean holds(String key, String lease) {
        Set<String> leases = held.get(key);
        return leases != null && leases.contains(lease);
    }

    /** A copy of what is held now, to renew. */
    Map<String, List<String>> snapshot() {
        Map<String, List<String>> copy = new java.util.HashMap<>();
        held.forEach((key, leases) -> {
            List<String> list = List.copyOf(leases);
            if (!list.isEmpty()) {
                copy.put(key, list);
            }
        });
        return copy;
    }
}

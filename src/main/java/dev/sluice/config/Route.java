package dev.sluice.config;

import java.net.URI;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One upstream that Sluice relays to: requests under {@code prefix} go to {@code url} plus the
 * rest of their path, spoken in {@code dialect}, with one of its {@code keys} and its policy.
 *
 * @param url the upstream base URL, or null to answer from the built-in simulated upstream
 * @param keys the upstream's credentials, a pool the requests spread over; empty to send none
 * @param drain when a client leaves, read the upstream to its end (without writing) to record
 *     the true usage, for providers that bill the whole generation anyway; else cancel at once
 * @param operations the requests relayed with the key; any other is refused before it is sent
 * @param missingKey the environment variable that should hold the key of an upstream that needs
 *     one and is unset, so the route answers 503 instead of calling out keyless; else null
 * @param resumable every stream of the route is resumable (ids, a replay log, resume by id)
 * @param serving its key header, model names, fallbacks and whether clients reach it
 */
public record Route(String name, String prefix, URI url, String dialect, List<Secret> keys,
        Policy policy, boolean drain, List<Operation> operations, String missingKey,
        boolean resumable, Serving serving) {

    /** Sluice's own endpoints for resumable streams under every prefix; never relayed. */
    public static final String STREAMS = "/streams";

    /** The dialects Sluice speaks. */
    public static final Set<String> DIALECTS = Set.of(
            "openai-chat", "openai-responses", "anthropic-messages", "customgpt", "sse");

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]*");
    private static final Pattern PREFIX = Pattern.compile("(/[A-Za-z0-9._~-]+)+");

    public Route {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(serving, "serving");
        keys = List.copyOf(keys);
        if (new LinkedHashSet<>(keys).size() != keys.size()) {
            throw new IllegalArgumentException("a key is in the pool twice");
        }
        if (missingKey != null && (!keys.isEmpty() || url == null)) {
            throw new IllegalArgumentException("only a route to an upstream without its key "
                    + "has a missing key");
        }
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a route name is lower case letters, digits and -");
        }
        if (!PREFIX.matcher(prefix).matches() || prefix.contains("/./")
                || prefix.contains("/../")) {
            throw new IllegalArgumentException("prefix must be a path like /v1 or /anthropic");
        }
        if (!DIALECTS.contains(dialect)) {
            throw new IllegalArgumentException("unknown dialect '" + dialect + "'; one of "
                    + String.join(", ", DIALECTS.stream().sorted().toList()));
        }
        operations = List.copyOf(operations);
        if (operations.isEmpty()) {
            throw new IllegalArgumentException("dialect " + dialect + " has no default "
                    + "operations: name the requests the route relays, e.g. POST /stream");
        }
        if (new LinkedHashSet<>(operations).size() != operations.size()) {
            throw new IllegalArgumentException("an operation is listed twice: " + operations);
        }
        for (Operation operation : operations) {
            // A placeholder that could match them is shadowed by them, as the README says.
            if (operation.path().equals(STREAMS) || operation.path().startsWith(STREAMS + "/")) {
                throw new IllegalArgumentException("'" + operation + "': " + STREAMS + " and "
                        + STREAMS + "/{id} are Sluice's own (resumable streams), never relayed");
            }
        }
    }

    /** A route with one key (or none, when null) whose streams are resumable when asked. */
    public Route(String name, String prefix, URI url, String dialect, Secret key, Policy policy,
            boolean drain, List<Operation> operations, String missingKey) {
        this(name, prefix, url, dialect, key == null ? List.of() : List.of(key), policy, drain,
                operations, missingKey, false, Serving.DEFAULT);
    }

    /** A route that has its key, or needs none, and relays the given operations. */
    public Route(String name, String prefix, URI url, String dialect, Secret key, Policy policy,
            boolean drain, List<Operation> operations) {
        this(name, prefix, url, dialect, key, policy, drain, operations, null);
    }

    /** A route that has its key, or needs none, and relays its dialect's default operations. */
    public Route(String name, String prefix, URI url, String dialect, Secret key, Policy policy,
            boolean drain) {
        this(name, prefix, url, dialect, key, policy, drain, Operation.defaults(dialect));
    }

    /** The same, cancelling the upstream as soon as its client leaves. */
    public Route(String name, String prefix, URI url, String dialect, Secret key, Policy policy) {
        this(name, prefix, url, dialect, key, policy, false);
    }

    /** The same route with every stream resumable, or only those that ask. */
    public Route resumable(boolean all) {
        return new Route(name, prefix, url, dialect, keys, policy, drain, operations, missingKey,
                all, serving);
    }

    /** The same route with {@code pool} for its keys. */
    public Route keys(List<Secret> pool) {
        return new Route(name, prefix, url, dialect, pool, policy, drain, operations, missingKey,
                resumable, serving);
    }

    /** The same route served as {@code how} says. */
    public Route serving(Serving how) {
        return new Route(name, prefix, url, dialect, keys, policy, drain, operations, missingKey,
                resumable, how);
    }

    /**
     * The operation {@code POST <prefix>/streams} starts: the first {@code POST} the route
     * relays whose path has no placeholder, or null when it has none.
     */
    public Operation streamingOperation() {
        return operations.stream().filter(o -> o.method().equals("POST")
                && !o.path().contains("{") && !o.path().contains("*")).findFirst().orElse(null);
    }

    public boolean simulated() {
        return url == null;
    }
}

package dev.sluice.access;

import dev.sluice.config.Client;

/** Who is calling, as admission found out: an identity to count limits on, and those limits. */
public record Caller(String id, Client client) {

    /** Begins the id a caller's resumes and stops are counted under, apart from its requests. */
    private static final String READING = "reading:";

    /**
     * The same caller as a reader of its streams ({@code GET} and {@code DELETE
     * <prefix>/streams/{id}}): a bucket of its own, as large as its requests per minute, no
     * budget, and at most {@code readers} readers at once (0: none held, as for a stop).
     */
    public Caller reading(int readers) {
        return new Caller(READING + id, new Client(client.name(), client.routes(),
                client.models(), readers, client.requestsPerMinute(), 0));
    }

    /** True for a caller as {@link #reading} made it. */
    public boolean reads() {
        return id.startsWith(READING);
    }
}

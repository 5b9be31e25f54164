package dev.sluice.relay;

import dev.sluice.config.Client;

/** Who is calling, as admission found out: an identity to count limits on, and those limits. */
record Caller(String id, Client client) {}

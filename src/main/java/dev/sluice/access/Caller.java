package dev.sluice.access;

import dev.sluice.config.Client;

/** Who is calling, as admission found out: an identity to count limits on, and those limits. */
public record Caller(String id, Client client) {}

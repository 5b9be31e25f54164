package dev.sluice.relay;

import dev.sluice.upstream.Upstream;

/** What every route's servlet shares: one HTTP client, one watchdog, one retry policy. */
record Relaying(Upstream upstream, Watchdog watchdog, Retry retry, Redaction redaction,
        TranscriptListener transcripts) {}

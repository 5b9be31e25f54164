package dev.sluice.relay;

import dev.sluice.upstream.Upstream;
import java.util.concurrent.Semaphore;

/**
 * What every route's servlet shares: who may call and how much they used, one HTTP client, one
 * watchdog, one retry policy, one redaction, the metrics, one transcript listener, and the
 * permits for draining upstreams whose clients left; {@code keepContent} when some listener
 * wants the assembled answers, not just the usage.
 */
record Relaying(Admission admission, Quotas quotas, Upstream upstream, Watchdog watchdog,
        Retry retry, Redaction redaction, Metrics metrics, TranscriptListener transcripts,
        Semaphore drains, boolean keepContent) {}

package dev.sluice.observe;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.dialect.Dialect;
import dev.sluice.dialect.Json;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The default listener: one JSON log line per stream, with the content only when configured.
 * The key appears as its fingerprint only; the client's model passes through {@link LogText},
 * as JSON leaves U+2028, U+2029 and the C1 controls as they are.
 */
final class TranscriptLog implements TranscriptListener {

    private static final Logger LOG = LoggerFactory.getLogger("dev.sluice.transcript");
    private static final ObjectMapper JSON = Json.mapper();

    private final boolean withContent;

    TranscriptLog(boolean withContent) {
        this.withContent = withContent;
    }

    @Override
    public void ended(Transcript t) {
        ObjectNode line = JSON.createObjectNode()
                .put("request_id", MDC.get("request_id"))
                .put("route", t.route().name())
                .put("model", LogText.of(t.model()))
                .put("status", t.status())
                .put("outcome", t.outcome().name().toLowerCase(Locale.ROOT))
                .put("ttfb_ms", t.ttfbMillis())
                .put("duration_ms", t.durationMillis())
                .put("events", t.events())
                .put("bytes", t.bytes());
        Dialect.Usage usage = t.usage();
        line.put("prompt_tokens", usage.input());
        line.put("completion_tokens", usage.output());
        line.put("key", t.route().key() == null ? null : t.route().key().fingerprint());
        if (t.failure() != null) {
            line.put("failure", LogText.of(t.failure()));
        }
        if (t.truncated()) {
            line.put("truncated", true);
        }
        if (t.passedUnread() > 0) {
            line.put("unread_events", t.passedUnread());
        }
        if (withContent) {
            line.set("answer", t.answer());
        }
        if (t.outcome() == Transcript.Outcome.DONE
                || t.outcome() == Transcript.Outcome.UPSTREAM_CLOSED) {
            LOG.info("{}", line);
        } else {
            LOG.warn("{}", line);
        }
    }
}

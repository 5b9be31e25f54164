package dev.sluice.observe;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.dialect.Dialect;
import dev.sluice.dialect.Json;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
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
        // The line is built only when it is logged: the logger may be turned off.
        if (t.outcome() == Transcript.Outcome.DONE
                || t.outcome() == Transcript.Outcome.UPSTREAM_CLOSED) {
            if (LOG.isInfoEnabled()) {
                LOG.info(line(t));
            }
        } else if (LOG.isWarnEnabled()) {
            LOG.warn(line(t));
        }
    }

    /** The line, written field by field: no tree of nodes is built for it. */
    private String line(Transcript t) {
        StringWriter text = new StringWriter(256);
        try (JsonGenerator line = JSON.createGenerator(text)) {
            line.writeStartObject();
            line.writeStringField("request_id", MDC.get("request_id"));
            line.writeStringField("route", t.route().name());
            line.writeStringField("model", LogText.of(t.model()));
            line.writeNumberField("status", t.status());
            line.writeStringField("outcome", t.outcome().name().toLowerCase(Locale.ROOT));
            line.writeNumberField("ttfb_ms", t.ttfbMillis());
            line.writeNumberField("duration_ms", t.durationMillis());
            line.writeNumberField("events", t.events());
            line.writeNumberField("bytes", t.bytes());
            Dialect.Usage usage = t.usage();
            writeNumberOrNull(line, "prompt_tokens", usage.input());
            writeNumberOrNull(line, "completion_tokens", usage.output());
            line.writeStringField("upstream", t.upstream());
            line.writeStringField("key", t.key());
            line.writeNumberField("attempts", t.attempts());
            if (t.failure() != null) {
                line.writeStringField("failure", LogText.of(t.failure()));
            }
            if (t.truncated()) {
                line.writeBooleanField("truncated", true);
            }
            if (t.passedUnread() > 0) {
                line.writeNumberField("unread_events", t.passedUnread());
            }
            if (withContent) {
                line.writeFieldName("answer");
                if (t.answer() == null) {
                    line.writeNull();
                } else {
                    JSON.writeTree(line, t.answer());
                }
            }
            line.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("a StringWriter does not fail", e);
        }
        return text.toString();
    }

    private static void writeNumberOrNull(JsonGenerator line, String name, Long value)
            throws IOException {
        if (value == null) {
            line.writeNullField(name);
        } else {
            line.writeNumberField(name, value);
        }
    }
}

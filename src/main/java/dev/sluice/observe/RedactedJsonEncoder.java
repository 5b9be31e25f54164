package dev.sluice.observe;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxy;
import java.util.Objects;

/**
 * Logback's JSON encoder with the message redacted as {@link RedactedMessage} redacts it for the
 * text format, so that {@code SLUICE_LOG_FORMAT=json} is no way round the last guard.
 */
public final class RedactedJsonEncoder extends JsonEncoder {

    @Override
    public byte[] encode(ILoggingEvent event) {
        String message = event.getFormattedMessage();
        String scrubbed = Redaction.KEY_SHAPED.scrub(message);
        return super.encode(Objects.equals(message, scrubbed) ? event : withMessage(event, scrubbed));
    }

    /** A copy of {@code event} whose message is {@code message}, without arguments. */
    private static ILoggingEvent withMessage(ILoggingEvent event, String message) {
        LoggingEvent copy = new LoggingEvent();
        copy.setLoggerName(event.getLoggerName());
        copy.setLoggerContextRemoteView(event.getLoggerContextVO());
        copy.setLevel(event.getLevel());
        copy.setThreadName(event.getThreadName());
        copy.setInstant(event.getInstant());
        copy.setSequenceNumber(event.getSequenceNumber());
        copy.setMessage(message);
        copy.setMDCPropertyMap(event.getMDCPropertyMap());
        copy.setKeyValuePairs(event.getKeyValuePairs());
        if (event.getThrowableProxy() instanceof ThrowableProxy throwable) {
            copy.setThrowableProxy(throwable);
        }
        if (event.getMarkerList() != null) {
            event.getMarkerList().forEach(copy::addMarker);
        }
        return copy;
    }
}

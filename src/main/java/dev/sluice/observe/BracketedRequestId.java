package dev.sluice.observe;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * The log pattern's request id, {@code " [id]"} while a request with an id is served and nothing
 * otherwise: a look-up per line where a pattern's {@code %replace} ran a regex on every line.
 */
public final class BracketedRequestId extends ClassicConverter {

    @Override
    public String convert(ILoggingEvent event) {
        String id = event.getMDCPropertyMap().get("request_id");
        return id == null || id.isEmpty() ? "" : " [" + id + "]";
    }
}

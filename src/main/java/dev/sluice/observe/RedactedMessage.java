package dev.sluice.observe;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * The log pattern's message, with anything that looks like a provider key replaced by a short
 * hash: the last guard, for log lines that quote text from elsewhere.
 */
public final class RedactedMessage extends MessageConverter {

    @Override
    public String convert(ILoggingEvent event) {
        return Redaction.KEY_SHAPED.scrub(super.convert(event));
    }
}

package dev.sluice.observe;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * The log pattern's message, with every configured key and anything that looks like a key
 * replaced by a short hash ({@link Redaction#everywhere()}): the last guard, for log lines that
 * quote text from elsewhere.
 */
public final class RedactedMessage extends MessageConverter {

    @Override
    public String convert(ILoggingEvent event) {
        return Redaction.everywhere().scrub(super.convert(event));
    }
}

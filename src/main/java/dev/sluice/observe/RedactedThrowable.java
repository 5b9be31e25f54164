package dev.sluice.observe;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * The log pattern's stack trace, redacted as {@link RedactedMessage} redacts the message: an
 * exception's text (and its causes') may quote what an upstream sent.
 */
public final class RedactedThrowable extends ThrowableProxyConverter {

    @Override
    public String convert(ILoggingEvent event) {
        return Redaction.everywhere().scrub(super.convert(event));
    }
}

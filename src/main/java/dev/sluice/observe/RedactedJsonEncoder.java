package dev.sluice.observe;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.LoggerContextVO;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;

/**
 * Logback's JSON encoder with the message and every exception's text redacted as
 * {@link RedactedMessage} and {@link RedactedThrowable} redact them for the text format, so that
 * {@code SLUICE_LOG_FORMAT=json} is no way round the last guard.
 */
public final class RedactedJsonEncoder extends JsonEncoder {

    @Override
    public byte[] encode(ILoggingEvent event) {
        return super.encode(new Redacted(event, Redaction.everywhere()));
    }

    /** An event as it was, but for its texts, which are read through the redaction. */
    private record Redacted(ILoggingEvent event, Redaction redaction) implements ILoggingEvent {

        @Override
        public String getFormattedMessage() {
            return redaction.scrub(event.getFormattedMessage());
        }

        @Override
        public String getMessage() {
            return redaction.scrub(event.getMessage());
        }

        /** Not written (the encoder is configured without arguments); none, to be sure. */
        @Override
        public Object[] getArgumentArray() {
            return null;
        }

        @Override
        public IThrowableProxy getThrowableProxy() {
            IThrowableProxy proxy = event.getThrowableProxy();
            return proxy == null ? null : new RedactedProxy(proxy, redaction);
        }

        @Override
        public String getThreadName() {
            return event.getThreadName();
        }

        @Override
        public Level getLevel() {
            return event.getLevel();
        }

        @Override
        public String getLoggerName() {
            return event.getLoggerName();
        }

        @Override
        public LoggerContextVO getLoggerContextVO() {
            return event.getLoggerContextVO();
        }

        @Override
        public StackTraceElement[] getCallerData() {
            return event.getCallerData();
        }

        @Override
        public boolean hasCallerData() {
            return event.hasCallerData();
        }

        @Override
        public List<Marker> getMarkerList() {
            return event.getMarkerList();
        }

        @Override
        public Map<String, String> getMDCPropertyMap() {
            return event.getMDCPropertyMap();
        }

        @Override
        @SuppressWarnings("deprecation")
        public Map<String, String> getMdc() {
            return event.getMdc();
        }

        @Override
        public long getTimeStamp() {
            return event.getTimeStamp();
        }

        @Override
        public int getNanoseconds() {
            return event.getNanoseconds();
        }

        @Override
        public long getSequenceNumber() {
            return event.getSequenceNumber();
        }

        @Override
        public List<KeyValuePair> getKeyValuePairs() {
            return event.getKeyValuePairs();
        }

        @Override
        public void prepareForDeferredProcessing() {
            event.prepareForDeferredProcessing();
        }
    }

    /** An exception as it was, but for its messages and its causes', redacted. */
    private record RedactedProxy(IThrowableProxy proxy, Redaction redaction)
            implements IThrowableProxy {

        @Override
        public String getMessage() {
            return redaction.scrub(proxy.getMessage());
        }

        @Override
        public String getOverridingMessage() {
            return redaction.scrub(proxy.getOverridingMessage());
        }

        @Override
        public String getClassName() {
            return proxy.getClassName();
        }

        @Override
        public StackTraceElementProxy[] getStackTraceElementProxyArray() {
            return proxy.getStackTraceElementProxyArray();
        }

        @Override
        public int getCommonFrames() {
            return proxy.getCommonFrames();
        }

        @Override
        public IThrowableProxy getCause() {
            IThrowableProxy cause = proxy.getCause();
            return cause == null ? null : new RedactedProxy(cause, redaction);
        }

        @Override
        public IThrowableProxy[] getSuppressed() {
            IThrowableProxy[] suppressed = proxy.getSuppressed();
            return suppressed == null ? null : Arrays.stream(suppressed)
                    .map(s -> new RedactedProxy(s, redaction)).toArray(IThrowableProxy[]::new);
        }

        @Override
        public boolean isCyclic() {
            return proxy.isCyclic();
        }
    }
}

package dev.sluice.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/** The JSON lines the default transcript listener logs during a test, one per stream. */
public final class TranscriptLines implements BeforeEachCallback, AfterEachCallback {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    private Logger logger() {
        return (Logger) LoggerFactory.getLogger("dev.sluice.transcript");
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        appender.list.clear();
        appender.start();
        logger().addAppender(appender);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        logger().detachAppender(appender);
    }

    /** The lines so far; a stream's line is written just after its client got the last byte. */
    public List<JsonNode> awaitLines(int count) throws Exception {
        for (int i = 0; i < 500 && appender.list.size() < count; i++) {
            Thread.sleep(10);
        }
        return appender.list.stream().map(e -> {
            try {
                return JSON.readTree(e.getFormattedMessage());
            } catch (Exception ex) {
                throw new AssertionError(ex);
            }
        }).toList();
    }
}

package dev.sluice.observe;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.pattern.DynamicConverter;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.spi.FilterReply;
import dev.sluice.config.Config;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.MDC;
import org.slf4j.Marker;

/**
 * Sluice's logging, set up in code: parsing an XML configuration was a tenth of start-up. One
 * console appender, text for people or JSON lines for machines ({@code SLUICE_LOG_FORMAT},
 * a system property or from the environment); the message and any exception's text pass
 * through redaction in both, so no key reaches the log. A configuration file named with
 * {@code -Dlogback.configurationFile} still replaces all of this.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {

    /**
     * A key of the logging context (MDC): nothing is logged on a thread that has it, such as
     * the warm-up's requests, which a reader would take for traffic.
     */
    public static final String QUIET = "sluice.quiet";

    /** Time, level, logger, the request's id in brackets when there is one. */
    static final String TEXT_PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{0}%requestId - %msg%n%ex";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        // Read as Config reads it; Config, loaded later, refuses a value that is neither.
        String format = System.getProperty(Config.LOG_FORMAT,
                System.getenv().getOrDefault(Config.LOG_FORMAT, "text"));
        configure(context, format);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** Logs to standard output in {@code format} ({@code json}, else text). */
    static void configure(LoggerContext context, String format) {
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName(format);
        console.setEncoder("json".equals(format) ? json(context) : text(context));
        console.start();
        context.getLogger("org.eclipse.jetty").setLevel(Level.WARN);
        ch.qos.logback.classic.Logger root = context.getLogger(
                org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(console);
        TurboFilter quiet = new TurboFilter() {
            @Override
            public FilterReply decide(Marker marker, ch.qos.logback.classic.Logger logger,
                    Level level, String format, Object[] params, Throwable t) {
                return MDC.get(QUIET) != null ? FilterReply.DENY : FilterReply.NEUTRAL;
            }
        };
        quiet.setContext(context);
        quiet.start();
        context.addTurboFilter(quiet);
    }

    private static Encoder<ILoggingEvent> text(LoggerContext context) {
        // The encoder's layout looks up conversion words in the context's registry too.
        Map<String, Supplier<DynamicConverter>> rules = new HashMap<>();
        rules.put("msg", RedactedMessage::new);
        rules.put("ex", RedactedThrowable::new);
        rules.put("requestId", BracketedRequestId::new);
        context.putObject(CoreConstants.PATTERN_RULE_REGISTRY_FOR_SUPPLIERS, rules);
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(TEXT_PATTERN);
        encoder.start();
        return encoder;
    }

    private static Encoder<ILoggingEvent> json(LoggerContext context) {
        RedactedJsonEncoder encoder = new RedactedJsonEncoder();
        encoder.setContext(context);
        encoder.setWithArguments(false);
        encoder.setWithFormattedMessage(true);
        encoder.setWithMessage(false);
        encoder.start();
        return encoder;
    }
}

package dev.sluice.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sluice.config.ConfigException;
import dev.sluice.testing.TestClient;
import java.net.URI;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The WAR's bootstrap in a servlet container: it mounts Sluice, and says how it stopped. */
class WarBootstrapTest {

    @Test
    void aSettingItRefusesIsLoggedAsOneLineNamingIt() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(WarBootstrap.class);
        ListAppender<ILoggingEvent> appender = listen(logger);
        ServletContextHandler context = new ServletContextHandler("/sluice");
        context.setInitParameter("sluice.config", "/nonexistent/sluice.properties");
        Server server = container(context);
        try {
            assertThrows(ConfigException.class, server::start, "the deployment fails");
            List<String> errors = appender.list.stream()
                    .filter(e -> e.getLevel() == Level.ERROR)
                    .map(ILoggingEvent::getFormattedMessage).toList();
            assertEquals(List.of("sluice: SLUICE_CONFIG (-Dsluice.config): cannot read "
                    + "/nonexistent/sluice.properties: java.nio.file.NoSuchFileException: "
                    + "/nonexistent/sluice.properties"), errors);
        } finally {
            server.stop();
            logger.detachAppender(appender);
        }
    }

    @Test
    void undeployingLogsTheStopAndHowItEnded() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(Endpoints.class);
        ListAppender<ILoggingEvent> appender = listen(logger);
        Server server = container(new ServletContextHandler("/sluice"));
        try (TestClient client = new TestClient()) {
            server.start();
            int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
            URI health = URI.create("http://127.0.0.1:" + port
                    + "/sluice/healthz");
            assertEquals(200, client.get(health).getStatus());
            server.stop();

            List<String> said = appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .toList();
            assertEquals(2, said.size(), said::toString);
            assertTrue(said.get(0).startsWith("Stopping: 0 streams in flight may finish within "),
                    said::toString);
            assertTrue(said.get(1).matches("Stopped after [0-9.]+s: no stream was in flight"),
                    said::toString);
        } finally {
            server.stop();
            logger.detachAppender(appender);
        }
    }

    private static ListAppender<ILoggingEvent> listen(Logger logger) {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        return appender;
    }

    /** A Jetty on a loopback port that deploys {@code context} as the WAR's bootstrap would. */
    private static Server container(ServletContextHandler context) {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        context.addEventListener(new WarBootstrap());
        server.setHandler(context);
        return server;
    }
}

package dev.sluice.web;

import ch.qos.logback.classic.LoggerContext;
import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.ServletRegistration;
import java.util.Map;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts Sluice's servlets when the WAR is deployed in a Servlet 6 container; the settings come
 * from the container's system properties and environment, read once here, and from the settings
 * file that the context parameter {@code sluice.config} may name.
 */
public final class WarBootstrap implements ServletContextListener {

    private static final Logger LOG = LoggerFactory.getLogger(WarBootstrap.class);
    private static final String CONFIG_PARAMETER = "sluice.config";
    /** The context parameter by which web.xml turns off Logback's servlet listener. */
    private static final String LOGBACK_LISTENER_OFF = "logbackDisableServletContainerInitializer";

    private Endpoints endpoints;

    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServletContext context = event.getServletContext();
        Config config;
        Properties settings = settings(context);
        try {
            config = Config.load(System.getenv(), settings);
        } catch (ConfigException | IllegalArgumentException e) {
            // The container reports the failed deployment with a stack trace; this line says why
            // in the words of the setting, as the jar does.
            LOG.error("sluice: {}", e.getMessage());
            throw e;
        }
        Map.Entry<String, String> file = Config.settingsFile(System.getenv(), settings);
        LOG.info("{} = {}{}", file.getKey(), file.getValue(), settings == System.getProperties()
                ? "" : " (the context parameter " + CONFIG_PARAMETER + ")");
        for (Map.Entry<String, String> line : config.describe(false).entrySet()) {
            LOG.info("{} = {}", line.getKey(), line.getValue());
        }
        try {
            endpoints = Endpoints.of(config);
        } catch (ConfigException e) {
            LOG.error("sluice: {}", e.getMessage()); // Redis unreachable, or its password wrong
            throw e;
        }
        for (Endpoints.Filtering filtering : endpoints.filters()) {
            FilterRegistration.Dynamic added = context.addFilter(
                    filtering.filter().getClass().getSimpleName(), filtering.filter());
            added.setAsyncSupported(true);
            added.addMappingForUrlPatterns(null, true, filtering.path());
        }
        // Containers that call servlets on platform threads get each request moved to a
        // virtual thread, so thousands of open streams do not need thousands of workers.
        for (Endpoints.Endpoint endpoint : endpoints.all()) {
            ServletRegistration.Dynamic added = context.addServlet(endpoint.path(),
                    new VirtualThreadHandoff(endpoint.servlet()));
            added.setAsyncSupported(true);
            added.addMapping(endpoint.path());
        }
    }

    /**
     * The system properties, with the context's settings file when neither
     * {@code -Dsluice.config} nor {@code SLUICE_CONFIG} names one.
     */
    private static Properties settings(ServletContext context) {
        Properties system = System.getProperties();
        String file = context.getInitParameter(CONFIG_PARAMETER);
        if (file == null || file.isBlank() || system.getProperty(CONFIG_PARAMETER) != null
                || System.getenv("SLUICE_CONFIG") != null) {
            return system;
        }
        Properties withFile = new Properties();
        withFile.putAll(system);
        withFile.setProperty(CONFIG_PARAMETER, file.strip());
        return withFile;
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        try {
            if (endpoints != null) {
                endpoints.shutdown().join();
                endpoints.close();
            }
        } finally {
            // The WAR's web.xml turns off Logback's own listener, which would stop logging before
            // the stop lines above: logging stops here instead, last, with the application.
            if (Boolean.parseBoolean(event.getServletContext()
                    .getInitParameter(LOGBACK_LISTENER_OFF))
                    && LoggerFactory.getILoggerFactory() instanceof LoggerContext logging) {
                logging.stop();
            }
        }
    }
}

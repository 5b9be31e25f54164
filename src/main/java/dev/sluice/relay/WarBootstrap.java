package dev.sluice.relay;

import dev.sluice.config.Config;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts Sluice's servlets when the WAR is deployed in a Servlet 6 container; the settings come
 * from the container's system properties and environment, read once here.
 */
public final class WarBootstrap implements ServletContextListener {

    private static final Logger LOG = LoggerFactory.getLogger(WarBootstrap.class);

    private Endpoints endpoints;

    @Override
    public void contextInitialized(ServletContextEvent event) {
        Config config = Config.fromEnvironment();
        ServletContext context = event.getServletContext();
        for (Map.Entry<String, String> line : config.describe().entrySet()) {
            LOG.info("{} = {}", line.getKey(), line.getValue());
        }
        endpoints = Endpoints.of(config);
        for (Endpoints.Filtering filtering : endpoints.filters()) {
            context.addFilter(filtering.filter().getClass().getSimpleName(), filtering.filter())
                    .addMappingForUrlPatterns(null, true, filtering.path());
        }
        for (Endpoints.Endpoint endpoint : endpoints.all()) {
            context.addServlet(endpoint.path(), endpoint.servlet()).addMapping(endpoint.path());
        }
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        if (endpoints != null) {
            endpoints.shutdown().join();
            endpoints.close();
        }
    }
}

package dev.sluice.server;

import dev.sluice.observe.LogSetup;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import java.io.IOException;
import org.slf4j.MDC;

/** Logs nothing of the requests it lets through: the warm-up's private server. */
final class Quiet implements Filter {

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        MDC.put(LogSetup.QUIET, "true");
        try {
            chain.doFilter(request, response);
        } finally {
            MDC.remove(LogSetup.QUIET);
        }
    }
}

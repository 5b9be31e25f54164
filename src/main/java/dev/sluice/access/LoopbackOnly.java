package dev.sluice.access;

import dev.sluice.config.Config;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Without an access file, only this machine may call Sluice. The embedded server also listens
 * on loopback only; in a container, which chooses its own address, this is the guard.
 */
public final class LoopbackOnly extends HttpFilter {

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response,
            FilterChain chain) throws IOException, ServletException {
        String address = request.getRemoteAddr();
        if (Config.isLoopback(address)) {
            chain.doFilter(request, response);
            return;
        }
        response.setStatus(403);
        response.setContentType("application/json");
        response.getWriter().write("{\"error\":{\"message\":\"this Sluice has no access file "
                + "(SLUICE_ACCESS), so it serves this machine only\",\"type\":"
                + "\"permission_error\",\"param\":null,\"code\":null}}");
    }
}

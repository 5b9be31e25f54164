package dev.sluice.access;

import dev.sluice.dialect.Dialects;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Without an access file, only this machine may call Sluice, and only by one of its own names:
 * others get 403. The embedded server also listens on loopback only; in a servlet container,
 * which chooses its own address, and behind a proxy, this filter is the guard. Thread-safe.
 */
public final class LoopbackOnly extends HttpFilter {

    private static final Logger LOG = LoggerFactory.getLogger(LoopbackOnly.class);

    private final CallerAddress callers;
    private final boolean proxiesTrusted;
    private final LocalHosts hosts;
    private final AtomicBoolean warned = new AtomicBoolean();
    private final AtomicBoolean warnedHost = new AtomicBoolean();

    /** @param proxiesTrusted whether the access file names trusted proxies at all */
    public LoopbackOnly(CallerAddress callers, boolean proxiesTrusted, LocalHosts hosts) {
        this.callers = callers;
        this.proxiesTrusted = proxiesTrusted;
        this.hosts = hosts;
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response,
            FilterChain chain) throws IOException, ServletException {
        if (!proxiesTrusted && CallerAddress.forwarded(request)
                && warned.compareAndSet(false, true)) {
            LOG.warn("A request came through a proxy ({} header) but Sluice has no access file "
                    + "(SLUICE_ACCESS): such requests are not taken as from this machine and are "
                    + "refused. Behind a proxy, configure an access file with clients and "
                    + "trusted-proxies. (Logged once.)", CallerAddress.PROXY_HEADERS.stream()
                    .filter(name -> request.getHeader(name) != null).findFirst().orElseThrow());
        }
        if (!callers.local(request)) {
            refuse(response, "this Sluice has no access file (SLUICE_ACCESS), so it serves this "
                    + "machine only, not through a proxy");
            return;
        }
        String refusal = hosts.refusal(request);
        if (refusal != null) {
            if (warnedHost.compareAndSet(false, true)) {
                LOG.warn("Refused a request from this machine that named another host: {} "
                        + "(Logged once.)", refusal);
            }
            refuse(response, refusal);
            return;
        }
        chain.doFilter(request, response);
    }

    private static void refuse(HttpServletResponse response, String message) throws IOException {
        new Refusal(403, "permission_error", message).send(response, Dialects.of("openai-chat"));
    }
}

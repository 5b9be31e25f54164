package dev.sluice.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * How several Sluice instances share limits and budgets through Redis (or Valkey): where it is,
 * who Sluice is there, and what to do while it does not answer.
 *
 * @param host the server, or any node of a cluster
 * @param tls true for {@code rediss://}
 * @param database the database number from the URL's path (a cluster has only 0)
 * @param user the ACL user, or null for the default one
 * @param password the password, or null for none
 * @param prefix put before every key, e.g. {@code sluice:}
 * @param timeout the longest any one call to Redis may take
 * @param lease how long an open stream holds its client's slot unless the instance renews it
 * @param limitsFailOpen true to count streams and requests per instance while Redis is away
 *     (false: refuse with 503)
 * @param budgetsFailOpen true to count daily budgets per instance while Redis is away (false:
 *     refuse with 503)
 */
public record Sharing(String host, int port, boolean tls, int database, String user,
        Secret password, String prefix, Duration timeout, Duration lease, boolean limitsFailOpen,
        boolean budgetsFailOpen) {

    public Sharing {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(lease, "lease");
        if (lease.compareTo(timeout.multipliedBy(4)) < 0) {
            // Renewed every third of a lease: each renewal must be able to time out and another
            // still come before the lease ends.
            throw new IllegalArgumentException("SLUICE_REDIS_LEASE (" + Settings.format(lease)
                    + ") must be at least four times SLUICE_REDIS_TIMEOUT ("
                    + Settings.format(timeout) + ")");
        }
    }

    /**
     * Reads {@code redis://[user[:password]@]host[:port][/database]} or {@code rediss://...};
     * {@code password}, when given, is used instead of the URL's.
     */
    static Sharing parse(String url, Secret password, String prefix, Duration timeout,
            Duration lease, boolean limitsFailOpen, boolean budgetsFailOpen) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            // The reason quotes the URL, and the URL may hold the password.
            throw new ConfigException("SLUICE_REDIS_URL (-Dsluice.redis-url) is not a URL such "
                    + "as redis://redis.internal:6379 or rediss://user@host:6380");
        }
        String scheme = uri.getScheme();
        if (!"redis".equals(scheme) && !"rediss".equals(scheme) || uri.getHost() == null) {
            throw new ConfigException("SLUICE_REDIS_URL (-Dsluice.redis-url) must start "
                    + "redis:// or rediss:// and name a host, such as redis://redis.internal:6379");
        }
        String user = null;
        Secret fromUrl = null;
        String info = uri.getRawUserInfo();
        if (info != null && !info.isEmpty()) {
            int colon = info.indexOf(':');
            String name = decode(colon < 0 ? info : info.substring(0, colon));
            // redis://:password@host names no user: the default one.
            user = name.isEmpty() ? null : name;
            String secret = colon < 0 ? "" : decode(info.substring(colon + 1));
            fromUrl = secret.isEmpty() ? null : new Secret(secret);
        }
        int database = 0;
        String path = uri.getPath();
        if (path != null && !path.isEmpty() && !path.equals("/")) {
            try {
                database = Integer.parseInt(path.substring(1));
            } catch (NumberFormatException e) {
                throw new ConfigException("SLUICE_REDIS_URL (-Dsluice.redis-url): the path must "
                        + "be a database number, such as /0");
            }
        }
        String host = uri.getHost().startsWith("[")
                ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
        return new Sharing(host, uri.getPort() < 0 ? 6379 : uri.getPort(),
                scheme.equals("rediss"), database, user, password != null ? password : fromUrl,
                prefix, timeout, lease, limitsFailOpen, budgetsFailOpen);
    }

    private static String decode(String text) {
        return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** The address for logs and messages: no password, only whether there is one. */
    public String address() {
        String host = this.host.indexOf(':') >= 0 ? "[" + this.host + "]" : this.host;
        return (tls ? "rediss://" : "redis://") + (user == null ? "" : user + "@") + host + ":"
                + port + (database == 0 ? "" : "/" + database);
    }

    @Override
    public String toString() {
        return address() + (password == null ? "" : " (password " + password.fingerprint() + ")");
    }
}

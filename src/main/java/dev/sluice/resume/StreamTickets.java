package dev.sluice.resume;

import dev.sluice.config.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed tickets that let a URL read one stream with GET and nothing else, for clients that
 * cannot send a token (a browser's {@code EventSource}): {@code <expiry>.<HMAC-SHA256>} over
 * the stream's id, the method and the expiry. The key is the configured secret, or random per
 * process. Thread-safe.
 */
public final class StreamTickets {

    private static final String ALGORITHM = "HmacSHA256";
    private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();

    private final SecretKeySpec key;
    private final Duration lifetime;
    private final Clock clock;

    /** @param secret the shared signing key, or null for a random one */
    public StreamTickets(Secret secret, Duration lifetime) {
        this(secret, lifetime, Clock.systemUTC());
    }

    StreamTickets(Secret secret, Duration lifetime, Clock clock) {
        byte[] bytes;
        if (secret == null) {
            bytes = new byte[32];
            new SecureRandom().nextBytes(bytes);
        } else {
            bytes = secret.value().getBytes(StandardCharsets.UTF_8);
        }
        this.key = new SecretKeySpec(bytes, ALGORITHM);
        this.lifetime = lifetime;
        this.clock = clock;
    }

    /** A ticket for reading stream {@code id} with GET until the lifetime has passed. */
    public String issue(String id) {
        long expiry = clock.instant().plus(lifetime).getEpochSecond();
        return expiry + "." + BASE64.encodeToString(mac(id, expiry));
    }

    /** True for a ticket this key issued for stream {@code id} that has not expired. */
    public boolean valid(String ticket, String id) {
        if (ticket == null || id == null) {
            return false;
        }
        int dot = ticket.indexOf('.');
        if (dot <= 0 || dot > 12) {
            return false;
        }
        long expiry;
        byte[] given;
        try {
            expiry = Long.parseLong(ticket.substring(0, dot));
            given = Base64.getUrlDecoder().decode(ticket.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(given, mac(id, expiry))
                && clock.instant().getEpochSecond() < expiry;
    }

    private byte[] mac(String id, long expiry) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac.doFinal(("sluice-stream\nGET\n" + id + "\n" + expiry)
                    .getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has " + ALGORITHM, e);
        }
    }
}

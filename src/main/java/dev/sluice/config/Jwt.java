package dev.sluice.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How to verify the JWTs that browser apps send: with a shared HS256 secret, or with an RS256 or
 * ES256 public key (a PEM file) or key set (a JWKS file); exactly one of the three is set.
 *
 * @param issuer the required {@code iss}, or null
 * @param audience the required {@code aud}, or null
 * @param client the limits every user gets, each counted on their own ({@code sub})
 * @param maxLifetime the longest {@code exp - iat} accepted, or null for no bound; when set, a
 *     token must carry {@code iat}
 */
public record Jwt(Secret hs256Secret, Path publicKey, Path jwks, String issuer, String audience,
        Duration clockSkew, Client client, Duration maxLifetime) {

    public Jwt {
        int keys = (hs256Secret == null ? 0 : 1) + (publicKey == null ? 0 : 1)
                + (jwks == null ? 0 : 1);
        if (keys != 1) {
            throw new IllegalArgumentException(
                    "set exactly one of hs256-secret-env, public-key and jwks");
        }
        Objects.requireNonNull(clockSkew, "clockSkew");
        Objects.requireNonNull(client, "client");
        if (maxLifetime != null && (maxLifetime.isNegative() || maxLifetime.isZero())) {
            throw new IllegalArgumentException("max-lifetime must be positive");
        }
    }
}

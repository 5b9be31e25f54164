package dev.sluice.access;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.config.Jwt;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * {@code make jwt SUB=alice}: a token to try the access file's JWT users with, signed with its
 * HS256 secret (the variable's text, its UTF-8 bytes as they are, as Sluice checks it) and
 * carrying its {@code iss} and {@code aud}. Settings are read as Sluice reads them, so a token
 * made here is one the same settings accept; an app's own login makes the real ones.
 */
public final class TryJwt {

    private TryJwt() {}

    /** Arguments: the user ({@code sub}) and the lifetime in seconds. */
    public static void main(String[] args) {
        try {
            Jwt jwt = Config.fromEnvironment().access().jwt();
            if (jwt == null || jwt.hs256Secret() == null) {
                throw new ConfigException("make jwt signs with the HS256 secret of the access "
                        + "file's jwt.hs256-secret-env: set SLUICE_ACCESS to such a file (the "
                        + "sample etc/access.properties is one) and the variable it names");
            }
            Duration life = Duration.ofSeconds(Long.parseLong(args[1]));
            if (jwt.maxLifetime() != null && life.compareTo(jwt.maxLifetime()) > 0) {
                life = jwt.maxLifetime();
            }
            System.out.println(token(jwt, args[0], life, Instant.now()));
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println("sluice: " + e.getMessage());
            System.exit(2);
        }
    }

    /** A token for {@code sub} that {@code jwt} accepts from {@code now} for {@code life}. */
    static String token(Jwt jwt, String sub, Duration life, Instant now) {
        if (sub.isBlank()) {
            throw new IllegalArgumentException("SUB must name a user");
        }
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(sub)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(life)));
        if (jwt.issuer() != null) {
            claims.issuer(jwt.issuer());
        }
        if (jwt.audience() != null) {
            claims.audience(jwt.audience());
        }
        SignedJWT token = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
        try {
            token.sign(new MACSigner(jwt.hs256Secret().value().getBytes(StandardCharsets.UTF_8)));
        } catch (JOSEException e) {
            throw new IllegalArgumentException("the HS256 secret cannot sign: " + e.getMessage());
        }
        return token.serialize();
    }
}

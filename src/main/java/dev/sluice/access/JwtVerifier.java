package dev.sluice.access;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.sluice.config.ConfigException;
import dev.sluice.config.Jwt;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Verifies a JWT with Nimbus: the signature with the one algorithm family the configured key
 * allows (so {@code alg: none} and HS/RS confusion fail), then {@code exp}, {@code nbf} with the
 * configured skew, {@code iss} and {@code aud} when configured, a {@code sub} that is a non-empty
 * string, and, when a maximum lifetime is configured, {@code iat}. Thread-safe.
 */
final class JwtVerifier {

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final Duration maxLifetime;
    private final Duration clockSkew;

    JwtVerifier(Jwt jwt) {
        this.maxLifetime = jwt.maxLifetime();
        this.clockSkew = jwt.clockSkew();
        JWKSource<SecurityContext> keys;
        Set<JWSAlgorithm> algorithms;
        try {
            if (jwt.hs256Secret() != null) {
                keys = new ImmutableSecret<>(jwt.hs256Secret().value()
                        .getBytes(StandardCharsets.UTF_8));
                algorithms = Set.of(JWSAlgorithm.HS256);
            } else {
                JWKSet set = jwt.jwks() != null ? JWKSet.load(jwt.jwks().toFile())
                        : new JWKSet(publicKey(Files.readString(jwt.publicKey())));
                algorithms = new HashSet<>();
                for (JWK key : set.getKeys()) {
                    if (KeyType.RSA.equals(key.getKeyType())) {
                        algorithms.add(JWSAlgorithm.RS256);
                    } else if (KeyType.EC.equals(key.getKeyType())) {
                        algorithms.add(JWSAlgorithm.ES256);
                    } else {
                        throw new ConfigException("jwt: only RSA and EC public keys are accepted");
                    }
                    if (key.isPrivate()) {
                        throw new ConfigException("jwt: give Sluice the public key only");
                    }
                }
                keys = new ImmutableJWKSet<>(set);
            }
        } catch (IOException | ParseException | GeneralSecurityException e) {
            throw new ConfigException("jwt: cannot read the key: " + e.getMessage());
        }
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
        JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
        if (jwt.issuer() != null) {
            exact.issuer(jwt.issuer());
        }
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                jwt.audience(), exact.build(), Set.of("sub", "exp"));
        claims.setMaxClockSkew((int) jwt.clockSkew().toSeconds());
        processor.setJWTClaimsSetVerifier(claims);
    }

    /** A PEM {@code PUBLIC KEY} (X.509 SubjectPublicKeyInfo), RSA or EC P-256, as a JWK. */
    private static JWK publicKey(String pem) throws GeneralSecurityException {
        byte[] der = Base64.getMimeDecoder().decode(pem
                .replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").strip());
        X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
        try {
            return new RSAKey.Builder((RSAPublicKey) KeyFactory.getInstance("RSA")
                    .generatePublic(spec)).build();
        } catch (InvalidKeySpecException notRsa) {
            return new ECKey.Builder(Curve.P_256, (ECPublicKey) KeyFactory.getInstance("EC")
                    .generatePublic(spec)).build();
        }
    }

    /** The token's subject when it verifies; else a refusal saying why (without the token). */
    String subject(String token) throws Refusal {
        JWTClaimsSet claims;
        try {
            checkSubject(payload(token));
            claims = processor.process(token, null);
        } catch (ParseException e) {
            throw new Refusal(401, "authentication_error", "the bearer token is not a valid JWT");
        } catch (BadJOSEException | JOSEException e) {
            throw new Refusal(401, "authentication_error", "the JWT was refused: "
                    + e.getMessage());
        }
        if (maxLifetime != null) {
            checkLifetime(claims);
        }
        return claims.getSubject();
    }

    /** The claims as sent, or null when they are not a JSON object: the processor says why. */
    private static Map<String, Object> payload(String token) {
        try {
            return JSONObjectUtils.parse(JOSEObject.split(token)[1].decodeToString());
        } catch (ParseException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Each user ({@code sub}) is counted on their own: a null sub would put everyone who sends
     * one into one bucket, and Nimbus reads a numeric sub as a string, so {@code 42} and
     * {@code "42"} would share one. Read from the payload as sent; a missing sub is Nimbus's to
     * report.
     */
    private static void checkSubject(Map<String, Object> payload) throws Refusal {
        if (payload != null && payload.containsKey("sub")
                && !(payload.get("sub") instanceof String subject && !subject.isBlank())) {
            throw new Refusal(401, "authentication_error",
                    "the JWT was refused: its sub must be a non-empty string naming the user");
        }
    }

    /**
     * Issued not after now (with the skew), and expiring at most the maximum lifetime after it
     * was issued: together these bound how far ahead of now {@code exp} may be.
     */
    private void checkLifetime(JWTClaimsSet claims) throws Refusal {
        Date issued = claims.getIssueTime();
        if (issued == null) {
            throw new Refusal(401, "authentication_error", "the JWT was refused: it has no iat, "
                    + "which a maximum lifetime (jwt.max-lifetime) requires");
        }
        if (issued.toInstant().isAfter(Instant.now().plus(clockSkew))) {
            throw new Refusal(401, "authentication_error",
                    "the JWT was refused: its iat is in the future");
        }
        Duration lifetime = Duration.between(issued.toInstant(),
                claims.getExpirationTime().toInstant());
        if (lifetime.compareTo(maxLifetime) > 0) {
            throw new Refusal(401, "authentication_error", "the JWT was refused: it lives "
                    + lifetime.toSeconds() + " s from iat to exp, longer than the "
                    + maxLifetime.toSeconds() + " s that jwt.max-lifetime allows");
        }
    }
}

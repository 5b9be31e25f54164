package dev.sluice.access;

import com.nimbusds.jose.JOSEException;
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
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;

/**
 * Verifies a JWT with Nimbus: the signature with the one algorithm family the configured key
 * allows (so {@code alg: none} and HS/RS confusion fail), then {@code exp}, {@code nbf} with the
 * configured skew, and {@code iss} and {@code aud} when configured. Thread-safe.
 */
final class JwtVerifier {

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

    JwtVerifier(Jwt jwt) {
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
        try {
            return processor.process(token, null).getSubject();
        } catch (ParseException e) {
            throw new Refusal(401, "authentication_error", "the bearer token is not a valid JWT");
        } catch (BadJOSEException | JOSEException e) {
            throw new Refusal(401, "authentication_error", "the JWT was refused: "
                    + e.getMessage());
        }
    }
}

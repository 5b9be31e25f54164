package dev.sluice.access;

import dev.sluice.config.Access;
import dev.sluice.config.Client;
import dev.sluice.config.Route;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Step 1 of a request: who is calling, and may they use this route? A static token (compared by
 * its SHA-256, in constant time), a JWT, or, where configured, nobody in particular (counted by
 * address). Thread-safe.
 */
public final class Admission {

    /** What admits callers now; a reload of the access file replaces it whole. */
    private volatile Rules rules;

    private record Token(byte[] hash, Client client) {}

    /**
     * @param tokens the configured tokens' hashes, decoded once: each request compares against
     *     them all
     */
    private record Rules(Access access, List<Token> tokens, JwtVerifier jwt,
            CallerAddress callers) {

        static Rules of(Access access) {
            return new Rules(access, access.tokens().entrySet().stream()
                    .map(e -> new Token(HexFormat.of().parseHex(e.getKey()), e.getValue()))
                    .toList(), access.jwt() == null ? null : new JwtVerifier(access.jwt()),
                    new CallerAddress(access.trustedProxies()));
        }
    }

    public Admission(Access access) {
        this.rules = Rules.of(access);
    }

    /**
     * Admits by {@code access} from the next request on, as a reload of the access file does:
     * a revoked token is refused at once, requests already admitted go on.
     */
    public void replace(Access access) {
        this.rules = Rules.of(access);
    }

    public Caller admit(HttpServletRequest request, Route route) throws Refusal {
        Caller caller = identify(request);
        if (!caller.client().routes().isEmpty()
                && !caller.client().routes().contains(route.name())) {
            throw new Refusal(403, "permission_error", "client " + caller.client().name()
                    + " may not use route " + route.name());
        }
        return caller;
    }

    /**
     * Who a read by a stream's signed URL, which carries no token, is counted as: the stream's
     * owner, with its client's limits; for a stream without one (no access file, anonymous
     * callers), the caller as admission would find it without a token.
     *
     * @param owner the stream's owner, {@code client:<name>} or {@code jwt:<sub>}, or null
     */
    public Caller ownerOf(String owner, HttpServletRequest request) {
        Rules r = rules;
        Access access = r.access();
        if (owner == null) {
            return access.anonymous() == null ? new Caller("anyone", Client.ANYONE)
                    : new Caller("address:" + r.callers().of(request), access.anonymous());
        }
        Client client = owner.startsWith("jwt:") && r.jwt() != null ? access.jwt().client()
                : r.tokens().stream().map(Token::client)
                        .filter(known -> owner.equals("client:" + known.name()))
                        .findFirst().orElse(null);
        // A stream another instance started under settings this one has not: counted, unbound.
        return new Caller(owner, client == null ? Client.ANYONE : client);
    }

    /** Refuses a model the caller's client may not ask for. */
    public static void checkModel(Caller caller, String model) throws Refusal {
        var models = caller.client().models();
        if (!models.isEmpty() && model == null) {
            throw new Refusal(400, "invalid_request_error", "a model is required; client "
                    + caller.client().name() + " may use: "
                    + String.join(", ", models.stream().sorted().toList()));
        }
        if (!models.isEmpty() && !models.contains(model)) {
            throw new Refusal(403, "permission_error", "client " + caller.client().name()
                    + " may not use model '" + model + "'; it may use: "
                    + String.join(", ", models.stream().sorted().toList()));
        }
    }

    private Caller identify(HttpServletRequest request) throws Refusal {
        Rules r = rules;
        Access access = r.access();
        if (!access.configured()) {
            return new Caller("anyone", Client.ANYONE);
        }
        String token = token(request);
        if (token == null) {
            if (access.anonymous() != null) {
                return new Caller("address:" + r.callers().of(request), access.anonymous());
            }
            throw new Refusal(401, "authentication_error", "send a token as "
                    + "'Authorization: Bearer <token>' (or 'x-api-key: <token>')");
        }
        Client client = byToken(r.tokens(), token);
        if (client != null) {
            return new Caller("client:" + client.name(), client);
        }
        if (r.jwt() != null && token.chars().filter(c -> c == '.').count() == 2) {
            return new Caller("jwt:" + r.jwt().subject(token), access.jwt().client());
        }
        throw new Refusal(401, "authentication_error", "the token is not one Sluice knows");
    }

    private static String token(HttpServletRequest request) {
        String authorization = request.getHeader("Authorization");
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = authorization.substring(7).strip();
            return token.isEmpty() ? null : token;
        }
        String key = request.getHeader("x-api-key"); // what the Anthropic SDKs send
        return key == null || key.isBlank() ? null : key.strip();
    }

    /** Every configured hash is compared, in constant time, whatever matches. */
    private static Client byToken(List<Token> tokens, String token) {
        byte[] hash = sha256(token);
        Client found = null;
        for (Token known : tokens) {
            if (MessageDigest.isEqual(hash, known.hash())) {
                found = known.client();
            }
        }
        return found;
    }

    /** The SHA-256 of {@code text}'s UTF-8 bytes: a token's, or a caller's for key names. */
    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(
                    text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}

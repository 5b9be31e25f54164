package dev.sluice.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A Lua script run atomically by Redis, known there by its SHA-1 (EVALSHA) and sent whole only
 * when Redis has forgotten it (a restart, a new cluster node).
 *
 * @param name what logs and metrics call it
 * @param list it answers a list (of numbers, strings and lists); otherwise one number
 */
public record Script(String name, String text, String sha, boolean list) {

    /** The script in the class-path resource {@code resource}, next to {@code owner}: a number. */
    public static Script of(Class<?> owner, String name, String resource) {
        return load(owner, name, resource, false);
    }

    /** The script in the class-path resource {@code resource}: it answers a list. */
    public static Script listOf(Class<?> owner, String name, String resource) {
        return load(owner, name, resource, true);
    }

    /**
     * This script with its PUBLISH calls as SPUBLISH, for a cluster whose streams' channels
     * are shard channels; itself when it publishes nothing.
     */
    public Script sharded() {
        String shard = text.replace("redis.call('PUBLISH',", "redis.call('SPUBLISH',");
        return shard.equals(text) ? this : new Script(name, shard, sha1(shard), list);
    }

    private static Script load(Class<?> owner, String name, String resource, boolean list) {
        try (InputStream in = owner.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the script " + resource + " is missing");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new Script(name, text, sha1(text), list);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }
}

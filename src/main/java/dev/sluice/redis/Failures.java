package dev.sluice.redis;

import dev.sluice.config.ConfigException;
import dev.sluice.config.Sharing;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;

/**
 * Words for what Lettuce threw, at start-up and on each call, with the password replaced by its
 * fingerprint. Thread-safe.
 */
final class Failures {

    private final Sharing sharing;

    Failures(Sharing sharing) {
        this.sharing = sharing;
    }

    /** What went wrong at start-up, in the words of the settings. */
    ConfigException refusal(RuntimeException e) {
        String why = scrub(rootMessage(e));
        String upper = why.toUpperCase(Locale.ROOT);
        if (upper.contains("WRONGPASS") || upper.contains("NOAUTH") || upper.contains("NOPERM")
                || upper.contains("INVALID PASSWORD") || upper.contains("AUTH")) {
            return new ConfigException("Redis at " + sharing.address() + " refused Sluice's "
                    + "credentials (SLUICE_REDIS_URL, SLUICE_REDIS_PASSWORD): " + why);
        }
        return new ConfigException("cannot reach Redis at " + sharing.address()
                + " (SLUICE_REDIS_URL): " + why);
    }

    /**
     * Why the call {@code what}, waited on through {@code future}, failed with {@code e};
     * cancels a call that took too long or whose wait was interrupted.
     */
    RedisFailure failure(Future<?> future, String what, Exception e) {
        return failure(future, what, e, sharing.timeout());
    }

    /** As {@link #failure(Future, String, Exception)}, for a call given {@code limit}. */
    RedisFailure failure(Future<?> future, String what, Exception e, Duration limit) {
        // Lettuce's own limit on the command may come first, with the same length.
        if (e instanceof TimeoutException
                || e.getCause() instanceof RedisCommandTimeoutException) {
            future.cancel(true);
            return new RedisFailure(what + ": no answer within " + limit.toMillis() + " ms",
                    true);
        }
        if (e instanceof InterruptedException) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            return new RedisFailure(what + ": interrupted");
        }
        String kind = e.getCause() instanceof RedisCommandExecutionException ? "error" : "failed";
        return new RedisFailure(what + " " + kind + ": "
                + scrub(rootMessage(e.getCause() == null ? e : e.getCause())));
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        String message = e.getMessage();
        for (int i = 0; i < 10 && root.getCause() != null; i++) {
            root = root.getCause();
            if (root.getMessage() != null) {
                message = root.getMessage();
            }
        }
        return message == null ? root.getClass().getSimpleName() : message;
    }

    /** Nothing Redis or Lettuce says may carry the password on. */
    private String scrub(String text) {
        return sharing.password() == null ? text
                : text.replace(sharing.password().value(), sharing.password().fingerprint());
    }
}

package dev.sluice.redis;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs Lua scripts by their SHA-1, one or a pipelined batch, sending a script whole only when
 * Redis has forgotten it; {@code V} is what the connection's arguments and answers are (text, or
 * bytes as they are). Thread-safe.
 */
final class ScriptRunner<V> {

    /**
     * What a pipelined batch came to: each answer (null for a failure) and the first failure;
     * {@code skipped}: not sent, as Redis does not answer ({@link Breaker}).
     */
    private record Batch(List<Object> answers, int failures, RedisFailure first,
            boolean skipped) {}

    /** One call of a batch: the script's keys and arguments. */
    record Call<V>(String[] keys, V[] args) {}

    private final RedisClusterAsyncCommands<String, V> commands;
    /** Runs each script's {@linkplain Script#sharded sharded} form: see {@link Dialer}. */
    private final boolean sharded;
    private final Map<Script, Script> shardedForms = new ConcurrentHashMap<>();
    private final Failures failures;
    private final Health health;
    private final long timeoutNanos;

    ScriptRunner(RedisClusterAsyncCommands<String, V> commands, boolean sharded,
            Duration timeout, Failures failures, Health health) {
        this.commands = commands;
        this.sharded = sharded;
        this.failures = failures;
        this.health = health;
        this.timeoutNanos = timeout.toNanos();
    }

    @SafeVarargs
    final Object run(Script given, List<String> keys, V... args) throws RedisFailure {
        Script script = form(given);
        health.check(script.name());
        long start = System.nanoTime();
        String[] keyArray = keys.toArray(String[]::new);
        try {
            Object answer = await(script, evalsha(script, keyArray, args), keyArray, args);
            health.succeeded(script.name(), start);
            return answer;
        } catch (RedisFailure e) {
            throw health.failed(script.name(), start, e);
        }
    }

    int runAll(Script script, List<Call<V>> calls) {
        long start = System.nanoTime();
        Batch batch = pipeline(script, calls);
        if (batch.skipped()) {
            return batch.failures();
        }
        if (batch.first() != null) {
            health.failed(script.name(), start, batch.first());
        } else {
            health.succeeded(script.name(), start);
        }
        return batch.failures();
    }

    List<Object> runEach(Script script, List<Call<V>> calls) {
        long start = System.nanoTime();
        Batch batch = pipeline(script, calls);
        if (batch.skipped()) {
            return batch.answers();
        }
        if (batch.first() != null) {
            health.failed(script.name(), start, batch.first());
        } else if (!calls.isEmpty()) {
            health.succeeded(script.name(), start);
        }
        return batch.answers();
    }

    private Script form(Script script) {
        return sharded ? shardedForms.computeIfAbsent(script, Script::sharded) : script;
    }

    /** Sends every call before awaiting the first, then awaits each in order. */
    private Batch pipeline(Script given, List<Call<V>> calls) {
        Script script = form(given);
        try {
            health.check(script.name());
        } catch (RedisFailure e) {
            List<Object> none = new ArrayList<>(calls.size());
            calls.forEach(call -> none.add(null));
            return new Batch(none, calls.size(), e, true);
        }
        List<RedisFuture<Object>> sent = new ArrayList<>(calls.size());
        for (Call<V> call : calls) {
            sent.add(evalsha(script, call.keys(), call.args()));
        }
        List<Object> answers = new ArrayList<>(calls.size());
        int failed = 0;
        RedisFailure first = null;
        for (int i = 0; i < sent.size(); i++) {
            Call<V> call = calls.get(i);
            try {
                answers.add(await(script, sent.get(i), call.keys(), call.args()));
            } catch (RedisFailure e) {
                answers.add(null);
                failed++;
                first = first == null ? e : first;
            }
        }
        return new Batch(answers, failed, first, false);
    }

    private RedisFuture<Object> evalsha(Script script, String[] keys, V[] args) {
        return commands.evalsha(script.sha(), outputType(script), keys, args);
    }

    private static ScriptOutputType outputType(Script script) {
        return script.list() ? ScriptOutputType.MULTI : ScriptOutputType.INTEGER;
    }

    private Object await(Script script, RedisFuture<Object> sent, String[] keys, V[] args)
            throws RedisFailure {
        RedisFuture<Object> future = sent;
        try {
            try {
                return future.get(timeoutNanos, TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RedisNoScriptException)) {
                    throw e;
                }
                // Redis restarted, or this node never saw the script: send it whole.
                future = commands.eval(script.text(), outputType(script), keys, args);
                return future.get(timeoutNanos, TimeUnit.NANOSECONDS);
            }
        } catch (TimeoutException | ExecutionException | InterruptedException e) {
            throw failures.failure(future, script.name(), e);
        }
    }
}

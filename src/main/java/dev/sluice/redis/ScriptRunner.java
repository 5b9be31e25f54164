package dev.sluice.redis;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs Lua scripts by their SHA-1, one or a pipelined batch, sending a script whole only when
 * Redis has forgotten it. Thread-safe.
 */
final class ScriptRunner {

    /** What a pipelined batch came to: each answer (null for a failure) and the first failure. */
    private record Batch(List<Object> answers, int failures, RedisFailure first) {}

    private final RedisClusterAsyncCommands<String, String> commands;
    private final Failures failures;
    private final Health health;
    private final long timeoutNanos;

    ScriptRunner(RedisClusterAsyncCommands<String, String> commands, Duration timeout,
            Failures failures, Health health) {
        this.commands = commands;
        this.failures = failures;
        this.health = health;
        this.timeoutNanos = timeout.toNanos();
    }

    Object run(Script script, List<String> keys, String... args) throws RedisFailure {
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

    int runAll(Script script, List<RedisLink.Call> calls) {
        long start = System.nanoTime();
        Batch batch = pipeline(script, calls);
        if (batch.first() != null) {
            health.failed(script.name(), start, batch.first());
        } else {
            health.succeeded(script.name(), start);
        }
        return batch.failures();
    }

    List<Object> runEach(Script script, List<RedisLink.Call> calls) {
        long start = System.nanoTime();
        Batch batch = pipeline(script, calls);
        if (batch.first() != null) {
            health.failed(script.name(), start, batch.first());
        } else if (!calls.isEmpty()) {
            health.succeeded(script.name(), start);
        }
        return batch.answers();
    }

    /** Sends every call before awaiting the first, then awaits each in order. */
    private Batch pipeline(Script script, List<RedisLink.Call> calls) {
        List<RedisFuture<Object>> sent = new ArrayList<>(calls.size());
        for (RedisLink.Call call : calls) {
            sent.add(evalsha(script, call.keyArray(), call.argArray()));
        }
        List<Object> answers = new ArrayList<>(calls.size());
        int failed = 0;
        RedisFailure first = null;
        for (int i = 0; i < sent.size(); i++) {
            RedisLink.Call call = calls.get(i);
            try {
                answers.add(await(script, sent.get(i), call.keyArray(), call.argArray()));
            } catch (RedisFailure e) {
                answers.add(null);
                failed++;
                first = first == null ? e : first;
            }
        }
        return new Batch(answers, failed, first);
    }

    private RedisFuture<Object> evalsha(Script script, String[] keys, String[] args) {
        return commands.evalsha(script.sha(), outputType(script), keys, args);
    }

    private static ScriptOutputType outputType(Script script) {
        return script.list() ? ScriptOutputType.MULTI : ScriptOutputType.INTEGER;
    }

    private Object await(Script script, RedisFuture<Object> sent, String[] keys, String[] args)
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

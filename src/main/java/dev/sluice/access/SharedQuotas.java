package dev.sluice.access;

import dev.sluice.config.Client;
import dev.sluice.config.Sharing;
import dev.sluice.observe.Metrics;
import dev.sluice.redis.RedisFailure;
import dev.sluice.redis.RedisLink;
import dev.sluice.redis.Script;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Quotas shared by every instance through Redis: each admission is one atomic script call on the
 * caller's keys, and each open stream a lease that this instance renews while the stream runs, so
 * the slots of an instance that dies free themselves within the lease time. While Redis does not
 * answer, limits and budgets are counted by this instance alone or refused with 503, as
 * configured; streams in flight go on either way. Thread-safe.
 */
public final class SharedQuotas implements Quotas {

    private static final Logger LOG = LoggerFactory.getLogger(SharedQuotas.class);
    private static final Script ADMIT = Script.listOf(SharedQuotas.class, "admit",
            "admit.lua");
    private static final Script RENEW = Script.of(SharedQuotas.class, "renew", "renew.lua");
    private static final Script SPEND = Script.of(SharedQuotas.class, "spend", "spend.lua");

    private final RedisLink redis;
    private final Sharing sharing;
    private final Metrics metrics;
    /** This instance's own count: the bookkeeping for its streams, and the fallback. */
    private final LocalQuotas local = new LocalQuotas();
    private final Leases leases = new Leases();
    /** Tokens Redis did not take when they were spent, by day key: added when it answers. */
    private final Map<String, Long> unspent = new ConcurrentHashMap<>();
    private final Map<Client, Client> unlimited = new ConcurrentHashMap<>();
    private final String instance;
    private final AtomicLong leaseNumbers = new AtomicLong();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread keeper;

    public SharedQuotas(RedisLink redis, Sharing sharing, Metrics metrics) {
        this.redis = redis;
        this.sharing = sharing;
        this.metrics = metrics;
        byte[] id = new byte[6];
        new SecureRandom().nextBytes(id);
        this.instance = HexFormat.of().formatHex(id);
        this.keeper = Thread.ofVirtual().name("sluice-redis-leases").start(this::keep);
    }

    @Override
    public Slot enter(Caller caller) throws Refusal {
        Client limits = caller.client();
        if (limits.maxStreams() == 0 && limits.requestsPerMinute() == 0
                && limits.dailyTokens() == 0) {
            return local.enter(caller); // nothing to count: Redis is not asked
        }
        String tag = tag(caller.id());
        String lease = limits.maxStreams() > 0 ? instance + ":" + leaseNumbers.incrementAndGet()
                : null;
        List<?> answer;
        try {
            answer = (List<?>) redis.run(ADMIT, List.of(tag + "leases", tag + "bucket",
                    tag + "day"), Integer.toString(limits.maxStreams()),
                    Integer.toString(limits.requestsPerMinute()),
                    Long.toString(limits.dailyTokens()), lease == null ? "" : lease,
                    Long.toString(sharing.lease().toMillis()));
        } catch (RedisFailure e) {
            return fallback(caller, tag, lease);
        }
        long why = (Long) answer.get(0);
        long wait = (Long) answer.get(1);
        if (why != 0) {
            metrics.sharedAdmission("refused");
            throw switch ((int) why) {
                case 1 -> LocalQuotas.budgetUsedUp(limits, wait);
                case 2 -> LocalQuotas.streamsAllOpen(caller);
                default -> LocalQuotas.tooManyRequests(caller, wait);
            };
        }
        metrics.sharedAdmission("admitted");
        // Counted here too, without limits: should Redis go away, this instance's own count
        // starts from the streams it has open.
        Client bookkeeping = unlimited.computeIfAbsent(limits, client -> new Client(
                client.name(), client.routes(), client.models(), 0, 0, 0));
        return hold(tag, lease, local.enter(new Caller(caller.id(), bookkeeping)));
    }

    /** Redis did not answer: count by this instance alone, or refuse, as configured. */
    private Slot fallback(Caller caller, String tag, String lease) throws Refusal {
        Client limits = caller.client();
        boolean budget = limits.dailyTokens() > 0;
        boolean limited = limits.maxStreams() > 0 || limits.requestsPerMinute() > 0;
        if (budget && !sharing.budgetsFailOpen()) {
            metrics.sharedFallback("budget", "refused");
            throw unavailable("its daily budget");
        }
        if (limited && !sharing.limitsFailOpen()) {
            metrics.sharedFallback("limits", "refused");
            throw unavailable("its limits");
        }
        if (budget) {
            metrics.sharedFallback("budget", "local");
        }
        if (limited) {
            metrics.sharedFallback("limits", "local");
        }
        // Held as a lease all the same: once Redis answers, the renewal counts it there too.
        return hold(tag, lease, local.enter(caller));
    }

    private Refusal unavailable(String what) {
        return new Refusal(503, "service_unavailable", "the client's request cannot be counted "
                + "against " + what + " now: the shared store Sluice counts them in does not "
                + "answer; retry shortly", 1);
    }

    private Slot hold(String tag, String lease, Slot counted) {
        if (lease == null) {
            return counted;
        }
        String key = tag + "leases";
        leases.hold(key, lease);
        return () -> {
            counted.close();
            leases.release(key, lease);
            redis.forget(key, lease); // not awaited: should it fail, the lease expires anyway
        };
    }

    @Override
    public void spent(Caller caller, long tokens) {
        if (tokens <= 0 || caller.client().dailyTokens() == 0) {
            return;
        }
        local.spent(caller, tokens); // the fallback's count, should Redis go away
        String day = tag(caller.id()) + "day";
        try {
            redis.run(SPEND, List.of(day), Long.toString(tokens));
        } catch (RedisFailure e) {
            unspent.merge(day, tokens, Long::sum);
            metrics.sharedSpendDeferred();
            LOG.debug("{} tokens of {} kept until Redis answers: {}", tokens, caller.id(),
                    e.getMessage());
        }
    }

    @Override
    public String trouble() {
        return redis.trouble();
    }

    /**
     * The keys of one caller share a hash tag, so that a script on them touches one slot of a
     * cluster; braces in the caller's id would end the tag early, so they are escaped.
     */
    /**
     * The start of a caller's key names: a hash of the caller (a token client's name, a JWT
     * subject, an address), which Redis's key listings then do not show; as a hash tag, so that
     * a caller's keys share one slot of a cluster.
     */
    private String tag(String callerId) {
        return redis.prefix() + "{caller:" + HexFormat.of().formatHex(Admission.sha256(callerId))
                + "}:";
    }

    /** Every third of a lease: renews the leases held, adds deferred spend, else pings. */
    private void keep() {
        long period = Math.max(1, sharing.lease().toMillis() / 3);
        try {
            while (!closed.await(period, TimeUnit.MILLISECONDS)) {
                renew();
                addUnspent();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void renew() {
        Map<String, List<String>> held = leases.snapshot();
        if (held.isEmpty()) {
            try {
                redis.ping(); // keeps the trouble that /readyz reports current
            } catch (RedisFailure e) {
                LOG.debug("Redis ping failed: {}", e.getMessage());
            }
            return;
        }
        List<RedisLink.Call> calls = new ArrayList<>(held.size());
        String leaseMillis = Long.toString(sharing.lease().toMillis());
        held.forEach((key, list) -> {
            List<String> args = new ArrayList<>(list.size() + 1);
            args.add(leaseMillis);
            args.addAll(list);
            calls.add(new RedisLink.Call(List.of(key), args));
        });
        int failed = redis.runAll(RENEW, calls);
        if (failed > 0) {
            metrics.leaseRenewalFailed();
            LOG.warn("Renewing open-stream leases failed for {} of {} clients: their streams "
                    + "go on; {}", failed, calls.size(), redis.trouble());
        }
        // A stream that ended while its lease was being renewed: the renewal may have put the
        // lease back after the stream's release took it away.
        held.forEach((key, list) -> list.stream().filter(lease -> !leases.holds(key, lease))
                .forEach(lease -> redis.forget(key, lease)));
    }

    private void addUnspent() {
        for (String day : List.copyOf(unspent.keySet())) {
            Long tokens = unspent.remove(day);
            if (tokens == null) {
                continue;
            }
            try {
                redis.run(SPEND, List.of(day), Long.toString(tokens));
            } catch (RedisFailure e) {
                unspent.merge(day, tokens, Long::sum);
                return;
            }
        }
    }

    @Override
    public void close() {
        closed.countDown();
        try {
            keeper.join(sharing.timeout().multipliedBy(4).toMillis() + 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

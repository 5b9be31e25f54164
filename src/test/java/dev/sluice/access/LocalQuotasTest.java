package dev.sluice.access;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.config.Client;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A caller's counters, and forgetting callers that have gone quiet, on a clock the test moves:
 * a forgotten caller must be one whose counters a new caller would have anyway.
 */
class LocalQuotasTest {

    private static final long MINUTE = 60_000_000_000L;
    private static final Client LIMITED = new Client("app", Set.of(), Set.of(), 1, 2, 0);
    private static final Client BUDGETED = new Client("app", Set.of(), Set.of(), 0, 0, 1_000);

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final LocalQuotas quotas = new LocalQuotas(clock::get);

    private static Caller caller(String address, Client client) {
        return new Caller("address:" + address, client);
    }

    @Test
    void callersThatWentQuietForAMinuteAreForgotten() throws Refusal {
        for (int i = 0; i < 100; i++) {
            quotas.enter(caller("10.0.0." + i, LIMITED)).close();
        }
        assertEquals(100, quotas.callers());

        clock.addAndGet(MINUTE + 1);
        quotas.enter(caller("10.0.1.1", LIMITED)).close();

        assertEquals(1, quotas.callers());
    }

    @Test
    void aCallerWithAStreamOpenIsRemembered() throws Refusal {
        Quotas.Slot open = quotas.enter(caller("10.0.0.1", LIMITED));
        clock.addAndGet(MINUTE + 1);
        quotas.enter(caller("10.0.0.2", LIMITED)).close();

        assertEquals(2, quotas.callers());
        Refusal refusal = assertThrows(Refusal.class,
                () -> quotas.enter(caller("10.0.0.1", LIMITED)));
        assertEquals(429, refusal.status());
        open.close();
    }

    @Test
    void aCallerThatSpentTokensTodayIsRememberedSoItsBudgetHolds() throws Refusal {
        Caller spender = caller("10.0.0.1", BUDGETED);
        quotas.enter(spender).close();
        quotas.spent(spender, 1_000);
        clock.addAndGet(MINUTE + 1);
        quotas.enter(caller("10.0.0.2", BUDGETED)).close();

        assertEquals(2, quotas.callers());
        assertEquals(429, assertThrows(Refusal.class, () -> quotas.enter(spender)).status());
    }

    @Test
    void onlyCallersQuietForAWholeMinuteAreForgotten() throws Refusal {
        quotas.enter(caller("10.0.0.1", LIMITED)).close();
        clock.addAndGet(MINUTE / 2);
        Caller recent = caller("10.0.0.2", LIMITED);
        quotas.enter(recent).close();
        quotas.enter(recent).close(); // two a minute: its bucket is empty now
        clock.addAndGet(MINUTE / 2 + 1);
        quotas.enter(caller("10.0.0.3", LIMITED)).close();

        assertEquals(2, quotas.callers());
        // Half a minute refilled one request, not two: the bucket was kept, not made anew.
        quotas.enter(recent).close();
        assertEquals(429, assertThrows(Refusal.class, () -> quotas.enter(recent)).status());
    }

    @Test
    void aForgottenCallerStartsWithAFullBucketAsItWouldHaveHadAnyway() throws Refusal {
        Caller caller = caller("10.0.0.1", LIMITED);
        quotas.enter(caller).close();
        quotas.enter(caller).close();
        assertThrows(Refusal.class, () -> quotas.enter(caller));

        clock.addAndGet(MINUTE + 1);

        assertDoesNotThrow(() -> quotas.enter(caller).close());
        assertDoesNotThrow(() -> quotas.enter(caller).close());
        assertThrows(Refusal.class, () -> quotas.enter(caller));
    }
}

package dev.sluice.testing;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An upstream script for tests of open streams: each stream sends its first event, then waits
 * for {@link #finish()} before its usage (53 tokens) and its end; a request that does not ask
 * for a stream gets {@link #COMPLETION} at once.
 */
public final class Streams implements FakeUpstream.Script {

    public static final String FIRST = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":"
            + "{\"content\":\"hi\"}}]}\n\n";
    public static final String LAST = "data: {\"id\":\"c\",\"choices\":[],\"usage\":"
            + "{\"prompt_tokens\":20,\"completion_tokens\":33,\"total_tokens\":53}}\n\n"
            + "data: [DONE]\n\n";

    public static final String COMPLETION = "{\"id\":\"c\",\"object\":\"chat.completion\","
            + "\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":33,"
            + "\"total_tokens\":53}}";

    private final CountDownLatch finish = new CountDownLatch(1);

    @Override
    public void answer(FakeUpstream.Exchange exchange) throws Exception {
        if (!exchange.request().bodyText().contains("\"stream\":true")) {
            exchange.respond(200, "application/json", COMPLETION);
            return;
        }
        exchange.startStream().write(FIRST);
        if (!finish.await(60, TimeUnit.SECONDS)) {
            throw new AssertionError("the test never let its streams finish");
        }
        exchange.write(LAST).end();
    }

    /** Lets every stream, held now or started later, send its end. */
    public void finish() {
        finish.countDown();
    }
}

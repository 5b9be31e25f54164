package dev.sluice.relay;

import dev.sluice.access.Caller;
import dev.sluice.access.Quotas;
import dev.sluice.access.Refusal;
import dev.sluice.chain.Opener;
import dev.sluice.config.Config;
import dev.sluice.config.Route;
import dev.sluice.dialect.Dialect;
import dev.sluice.observe.LogText;
import dev.sluice.observe.Redaction;
import dev.sluice.observe.Transcript;
import dev.sluice.observe.Transcripts;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One route's answers that are not event streams: a JSON body relayed whole. Thread-safe. */
final class WholeAnswer {

    /** The relay's log: these lines are part of a request's story, as RelayServlet tells it. */
    private static final Logger LOG = LoggerFactory.getLogger(RelayServlet.class);
    private static final int MAX_JSON_BYTES = 32 << 20;

    private final Route route;
    private final Dialect dialect;
    private final Config config;
    private final Watchdog watchdog;
    private final Redaction redaction;
    private final Quotas quotas;
    private final Transcripts transcripts;

    WholeAnswer(Route route, Dialect dialect, Config config, Watchdog watchdog,
            Redaction redaction, Quotas quotas, Transcripts transcripts) {
        this.route = route;
        this.dialect = dialect;
        this.config = config;
        this.watchdog = watchdog;
        this.redaction = redaction;
        this.quotas = quotas;
        this.transcripts = transcripts;
    }

    /**
     * A non-streamed answer: read whole under the same watch, so it too fails cleanly; charged
     * and logged with its usage as a stream is.
     */
    void send(HttpServletResponse response, Opener.Opened opened, String encoding,
            ClientRequest sent, Caller caller, long started) throws IOException {
        HttpResponse<InputStream> answer = opened.answer();
        InputStream body = answer.body();
        Transcript transcript = transcripts.start(route, dialect, sent.model());
        opened.recordIn(transcript);
        byte[] bytes;
        try (Watch watch = watchdog.watch(null, body)) {
            try {
                bytes = Decoding.of(body, encoding).readNBytes(MAX_JSON_BYTES + 1);
            } catch (IOException e) {
                Watch.Expiry why = watch.expiry();
                String message = why != null ? why.message(config.timeouts())
                        : "upstream answer failed: "
                                + redaction.scrub(String.valueOf(e.getMessage()));
                int status = why != null ? why.status : 502;
                Refusal.sendJson(response, status, dialect.errorBody(status, message,
                        why != null ? why.type : "upstream_error"));
                LOG.warn("{} json failed after {} ms: {}", route.name(),
                        RelayServlet.millisSince(started), LogText.of(message));
                ended(transcript, why != null ? why.outcome()
                        : Transcript.Outcome.UPSTREAM_FAILED, status, message);
                return;
            }
        }
        if (bytes.length > MAX_JSON_BYTES) {
            String message = "upstream answer is larger than " + MAX_JSON_BYTES + " bytes";
            Refusal.sendJson(response, 502, dialect.errorBody(502, message, "upstream_error"));
            ended(transcript, Transcript.Outcome.UPSTREAM_FAILED, 502, message);
            return;
        }
        // A model may quote the key in its answer as well as in a stream.
        byte[] scrubbed = redaction.inEvents().scrubbed(bytes, 0, bytes.length);
        if (scrubbed != null) {
            bytes = scrubbed;
        }
        transcript.answered(bytes);
        // Before the answer goes out: its tokens are spent already.
        quotas.charge(caller, transcript.usage());
        response.setStatus(answer.statusCode());
        response.setContentType(answer.headers().firstValue("content-type")
                .map(redaction::scrub).orElse("application/json"));
        response.setContentLength(bytes.length);
        try {
            response.getOutputStream().write(bytes);
            LOG.info("{} {} json in {} ms", route.name(), answer.statusCode(),
                    RelayServlet.millisSince(started));
            ended(transcript, Transcript.Outcome.DONE, answer.statusCode(), null);
        } catch (IOException e) {
            LOG.info("{} {} json: client went away after {} ms", route.name(),
                    answer.statusCode(), RelayServlet.millisSince(started));
            ended(transcript, Transcript.Outcome.CLIENT_CLOSED, answer.statusCode(), null);
        }
    }

    private void ended(Transcript transcript, Transcript.Outcome outcome, int status,
            String failure) {
        transcript.end(outcome, status, failure);
        transcripts.ended(transcript);
    }
}

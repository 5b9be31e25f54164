package dev.sluice.observe;

import dev.sluice.config.Config;
import dev.sluice.config.Route;
import dev.sluice.dialect.Dialect;
import java.util.ArrayList;
import java.util.List;

/**
 * Where each stream's transcript starts and where it goes at the end: the log line, the metrics,
 * and a listener of the embedder's, in that order. Answers are kept whole (up to the configured
 * bound) only when the log or that listener wants them. Thread-safe.
 */
public final class Transcripts {

    private final List<TranscriptListener> listeners;
    private final int keptBytes;

    /** @param listener one more listener that gets every whole answer, or null for none */
    public Transcripts(Config config, Metrics metrics, TranscriptListener listener) {
        List<TranscriptListener> all = new ArrayList<>(List.of(
                new TranscriptLog(config.logContent()), metrics));
        if (listener != null) {
            all.add(listener);
        }
        this.listeners = List.copyOf(all);
        this.keptBytes = listener != null || config.logContent() ? config.transcriptBytes() : 0;
    }

    /** A new stream's transcript, on its relay thread. */
    public Transcript start(Route route, Dialect dialect, String model) {
        return new Transcript(route, dialect, model, keptBytes);
    }

    /** Tells every listener, on the stream's own thread, once the stream has ended. */
    public void ended(Transcript transcript) {
        for (TranscriptListener listener : listeners) {
            listener.ended(transcript);
        }
    }
}

package dev.sluice.observe;

/** Told of every stream once it has ended, on the stream's own thread. */
@FunctionalInterface
public interface TranscriptListener {

    void ended(Transcript transcript);
}

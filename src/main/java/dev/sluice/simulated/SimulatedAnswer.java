package dev.sluice.simulated;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.sse.SseEvent;
import java.util.List;

/** One simulated answer in one provider's shapes: the events of its stream and its whole body. */
sealed interface SimulatedAnswer
        permits SimulatedCompletion, SimulatedMessage, SimulatedResponse {

    /** The tokens the answer streams, one {@link #token} event each. */
    List<String> tokens();

    /** The events before the first token. */
    List<SseEvent> opening();

    /** The event that carries one token. */
    SseEvent token(String text);

    /** The events after the last token, up to and including the provider's terminal event. */
    List<SseEvent> closing();

    /** The answer as the provider sends it when not asked to stream. */
    JsonNode whole();
}

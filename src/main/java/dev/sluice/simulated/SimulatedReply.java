package dev.sluice.simulated;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The canned answers of the simulated upstream, chosen by a few keywords of the question and cut
 * into tokens the way a model streams them: words with their leading space, punctuation apart.
 */
record SimulatedReply(String text) {

    /** A word with its leading space, a punctuation mark with its leading space, or spaces. */
    private static final Pattern TOKEN =
            Pattern.compile("\\s*[\\p{L}\\p{N}'’]+|\\s*[^\\s\\p{L}\\p{N}]|\\s+");

    /**
     * The answer to {@code question}.
     *
     * @param setUp how to reach a real model instead, e.g. "Set ANTHROPIC_API_KEY"
     */
    static SimulatedReply to(String question, String setUp) {
        String q = question.toLowerCase(Locale.ROOT);
        if (q.isBlank()) {
            return new SimulatedReply("You sent an empty message. Ask me anything and I will "
                    + "stream an answer back, word by word.");
        }
        if (q.matches("(?s).*\\b(hi|hello|hey|hallo|good (morning|evening))\\b.*")) {
            return new SimulatedReply("Hello! I am Sluice's simulated upstream. I answer every "
                    + "question with a canned reply, streamed token by token just like a real "
                    + "model, so you can watch the relay work without a provider key. " + setUp
                    + " and restart Sluice to talk to a real model.");
        }
        if (q.matches("(?s).*\\b(sse|stream|streaming|event|events|token|tokens)\\b.*")) {
            return new SimulatedReply("Streaming works like this: the model writes its answer "
                    + "as Server-Sent Events, one small JSON chunk per token. Sluice reads each "
                    + "event the moment it arrives, writes it to your browser and flushes at "
                    + "once, so the words appear as they are generated instead of in one lump "
                    + "at the end. If you close the tab, Sluice closes the upstream request too, "
                    + "and the model stops generating.");
        }
        if (q.matches("(?s).*\\b(sluice|relay|proxy|key|keys|secret)\\b.*")) {
            return new SimulatedReply("Sluice is a small server that sits between your app and "
                    + "the LLM provider. Your app never holds the provider's API key: it calls "
                    + "Sluice, and Sluice adds the key, calls the provider with streaming on, and "
                    + "relays every event back as it arrives. Errors come back in the provider's "
                    + "own shape, and a closed connection cancels the upstream request.");
        }
        String quoted = question.strip();
        if (quoted.length() > 120) {
            quoted = quoted.substring(0, 117) + "...";
        }
        return new SimulatedReply("This answer comes from Sluice's simulated upstream, not from "
                + "a real model. You asked: \"" + quoted + "\". A real model would answer that "
                + "properly; this one streams a canned reply at a steady pace so you can see "
                + "each token arrive. " + setUp + " and restart Sluice to relay a real model "
                + "instead.");
    }

    /** The text cut into model-like tokens; joined, they give the text back exactly. */
    List<String> tokens() {
        List<String> tokens = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) {
            tokens.add(m.group());
        }
        return tokens;
    }
}

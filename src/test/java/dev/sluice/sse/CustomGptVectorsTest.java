package dev.sluice.sse;

import static dev.sluice.sse.Vector.message;
import static dev.sluice.sse.Vector.oneWritePerEvent;

import java.util.List;

/** CustomGPT streams: its OpenAI-compatible format ending in [DONE], and its native format. */
class CustomGptVectorsTest implements StreamVectors {

    private static final String HEAD = """
            {"id":"chatcmpl-abc123","object":"chat.completion.chunk","created":1743037634,\
            "model":"gpt-4","choices":[{"index":0,"delta":\
            """;

    static List<Vector> vectors() {
        return List.of(
                oneWritePerEvent("customgpt-openai-format", List.of(
                        message(HEAD + "{\"content\":\"Hello\"},\"finish_reason\":null}]}"),
                        message(HEAD + "{\"content\":\"! How can\"},\"finish_reason\":null}]}"),
                        message(HEAD + "{\"content\":\" I help?\"},\"finish_reason\":null}]}"),
                        message(HEAD + "{},\"finish_reason\":\"stop\"}]}"),
                        message("[DONE]"))),
                oneWritePerEvent("customgpt-native-finish", List.of(
                        message("{\"status\":\"progress\",\"message\":\"Blue\"}"),
                        message("{\"status\":\"progress\",\"message\":\"berries\"}"),
                        message("{\"status\":\"progress\",\"message\":\" are über-tasty "
                                + "\uD83E\uDED0\"}"),
                        message("{\"status\":\"finish\",\"message\":null,\"citations\":[101,102],"
                                + "\"id\":555,"
                                + "\"session_id\":\"f1b9aaf0-5e4e-11eb-ae93-0242ac130002\"}"))));
    }
}

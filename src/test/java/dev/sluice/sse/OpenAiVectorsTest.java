package dev.sluice.sse;

import static dev.sluice.sse.Vector.jsonString;
import static dev.sluice.sse.Vector.oneWritePerEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * OpenAI {@code chat.completion.chunk} streams: recorded ones replayed by the openai SDK's
 * {@code ChatCompletionStream} tests, the API reference's example, and one with raw multi-byte
 * text. Every chunk of a stream shares a head ({@code id} to {@code system_fingerprint}), so the
 * table writes the head once and each chunk's {@code choices}.
 */
class OpenAiVectorsTest implements StreamVectors {

    private static final String RECORDED_HEAD = """
            {"id":"chatcmpl-%s","object":"chat.completion.chunk","created":%d,\
            "model":"gpt-4o-2024-08-06","system_fingerprint":"fp_%s",\
            """;
    private static final String FIRST_DELTA = """
            {"role":"assistant","content":"","refusal":null}""";

    static List<Vector> vectors() {
        return List.of(
                city("openai-chat-usage", "c", false),
                city("openai-chat-leading-newlines", "c", true),
                logprobs(),
                refusal(),
                docsBasic(),
                multibyte());
    }

    /** The recorded {"city":"San Francisco","units":"c"} stream, with its usage chunk. */
    private static Vector city(String name, String units, boolean leadingNewlines) {
        Completion stream = new Completion(RECORDED_HEAD.formatted(
                "9tZXEmwtoDf6vqCqEWSvDP8jx9OXe", 1723031664, "845eaabc1f"), "}");
        List<String> data = new ArrayList<>();
        data.add(stream.choice(FIRST_DELTA, "null", "null"));
        if (leadingNewlines) {
            data.add(stream.choice(content("\n\n"), "null", "null"));
        }
        for (String token : cityTokens(units)) {
            data.add(stream.choice(content(token), "null", "null"));
        }
        return finish(name, stream, data, 17, 10, 27);
    }

    private static Vector logprobs() {
        Completion stream = new Completion(RECORDED_HEAD.formatted(
                "9tZXFsqeQOozn5YU8I6SbjkmDnN76", 1723031665, "845eaabc1f"), "}");
        List<String> tokens = cityTokens("f");
        List<String> values = List.of("-0.0036115935", "-8.418666e-6", "-0.00034666734",
                "-0.013863761", "-0.00003190179", "-0.03384693", "-1.2664457e-6",
                "-0.000031305768", "-0.5759394", "-0.0000420341");
        List<String> data = new ArrayList<>();
        data.add(stream.choice(FIRST_DELTA, "{\"content\":[],\"refusal\":null}", "null"));
        for (int i = 0; i < tokens.size(); i++) {
            String logprob = "{\"content\":[" + logprob(tokens.get(i), values.get(i))
                    + "],\"refusal\":null}";
            data.add(stream.choice(content(tokens.get(i)), logprob, "null"));
        }
        return finish("openai-chat-logprobs", stream, data, 17, 10, 27);
    }

    private static Vector refusal() {
        Completion stream = new Completion(RECORDED_HEAD.formatted(
                "9tZXGacdbmJYO8K50haE4OauaJmPn", 1723031666, "2a322c9ffc"), "}");
        List<String> tokens = List.of("I'm", " very", " sorry", ",", " but", " I", " can't",
                " assist", " with", " that", " request", ".");
        List<String> values = List.of("-0.0020705638", "-0.60976714", "-8.180258e-6",
                "-0.000040603656", "-0.048603047", "-0.003929745", "-0.012669391",
                "-0.0036209812", "-0.0052407524", "-0.0029618926", "-1.7024335",
                "-2.6968896e-6");
        List<String> data = new ArrayList<>();
        data.add(stream.choice("{\"role\":\"assistant\",\"content\":null,\"refusal\":\"\"}",
                "{\"content\":null,\"refusal\":[]}", "null"));
        for (int i = 0; i < tokens.size(); i++) {
            String logprob = "{\"content\":null,\"refusal\":["
                    + logprob(tokens.get(i), values.get(i)) + "]}";
            String delta = "{\"refusal\":" + jsonString(tokens.get(i)) + "}";
            data.add(stream.choice(delta, logprob, "null"));
        }
        return finish("openai-chat-refusal", stream, data, 17, 13, 30);
    }

    /** The API reference's example, spaces and all, with no usage chunk. */
    private static Vector docsBasic() {
        Completion stream = new Completion("""
                {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,\
                "model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", \
                """, "}");
        List<String> data = new ArrayList<>();
        data.add(stream.choice("{\"role\":\"assistant\",\"content\":\"\"}", "null", "null"));
        for (String text : List.of("Hello", " there,", " how may I assist you today?")) {
            data.add(stream.choice(content(text), "null", "null"));
        }
        data.add(stream.choice("{}", "null", "\"stop\""));
        data.add("[DONE]");
        return oneWritePerEvent("openai-chat-docs-basic", messages(data));
    }

    /** Raw (unescaped) CJK, emoji, accents and a 4-byte symbol, with "usage":null everywhere. */
    private static Vector multibyte() {
        Completion stream = new Completion("""
                {"id":"chatcmpl-holdoutMB1","object":"chat.completion.chunk","created":1731000000,\
                "model":"gpt-4o-mini","system_fingerprint":"fp_holdout",\
                """, ",\"usage\":null}");
        List<String> data = new ArrayList<>();
        data.add(stream.choice("{\"role\":\"assistant\",\"content\":\"\"}", "null", "null"));
        for (String text : List.of("你好", "，世界", " \uD83D\uDC4B\uD83C\uDFFD", " café €5",
                " \uD834\uDD1EЖж")) {
            data.add(stream.choice(content(text), "null", "null"));
        }
        return finish("openai-chat-multibyte", stream, data, 9, 12, 21);
    }

    private static List<String> cityTokens(String units) {
        return List.of("{\"", "city", "\":\"", "San", " Francisco", "\",\"", "units", "\":\"",
                units, "\"}");
    }

    /** The stop chunk, the usage chunk (stream_options.include_usage) and [DONE]. */
    private static Vector finish(String name, Completion stream, List<String> data,
            int prompt, int completion, int total) {
        data.add(stream.choice("{}", "null", "\"stop\""));
        data.add(stream.head() + "\"choices\":[],\"usage\":{\"prompt_tokens\":" + prompt
                + ",\"completion_tokens\":" + completion + ",\"total_tokens\":" + total + "}}");
        data.add("[DONE]");
        return oneWritePerEvent(name, messages(data));
    }

    private static List<BrowserView.Event> messages(List<String> data) {
        return data.stream().map(Vector::message).toList();
    }

    private static String content(String text) {
        return "{\"content\":" + jsonString(text) + "}";
    }

    private static String logprob(String token, String value) {
        byte[] utf8 = Vector.utf8(token);
        String bytes = IntStream.range(0, utf8.length)
                .mapToObj(i -> String.valueOf(utf8[i] & 0xFF))
                .collect(Collectors.joining(","));
        return "{\"token\":" + jsonString(token) + ",\"logprob\":" + value + ",\"bytes\":[" + bytes
                + "],\"top_logprobs\":[]}";
    }

    /** One stream's shared head and the text after its {@code choices} array. */
    private record Completion(String head, String end) {
        String choice(String delta, String logprobs, String finishReason) {
            return head + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"logprobs\":"
                    + logprobs + ",\"finish_reason\":" + finishReason + "}]" + end;
        }
    }
}

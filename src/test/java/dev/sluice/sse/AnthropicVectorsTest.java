package dev.sluice.sse;

import static dev.sluice.sse.Vector.event;
import static dev.sluice.sse.Vector.jsonString;
import static dev.sluice.sse.Vector.oneWritePerEvent;

import java.util.ArrayList;
import java.util.List;

/**
 * Anthropic Messages API streams: the raw fixtures of the SDK's {@code MessageStream} tests, and
 * the first five events of the basic one followed by an in-band overloaded error.
 */
class AnthropicVectorsTest implements StreamVectors {

    private static final BrowserView.Event PING = event("ping", "{\"type\": \"ping\"}", "");
    private static final BrowserView.Event MESSAGE_STOP =
            event("message_stop", "{\"type\":\"message_stop\"}", "");

    static List<Vector> vectors() {
        List<BrowserView.Event> basic = basic();
        List<BrowserView.Event> error = new ArrayList<>(basic.subList(0, 5));
        error.add(event("error",
                "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                        + "\"message\":\"Overloaded\"}}", ""));
        return List.of(
                oneWritePerEvent("anthropic-basic", basic),
                oneWritePerEvent("anthropic-tool-use", toolUse()),
                oneWritePerEvent("anthropic-error-midstream", error));
    }

    private static List<BrowserView.Event> basic() {
        return List.of(
                event("message_start", """
                        {"type":"message_start","message":{\
                        "id":"msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK","type":"message",\
                        "role":"assistant","content":[],"model":"claude-opus-4-8",\
                        "stop_reason":null,"stop_sequence":null,\
                        "usage":{"input_tokens":11,"output_tokens":1}}}\
                        """, ""),
                blockStart(0, "{\"type\":\"text\",\"text\":\"\"}"),
                PING,
                delta(0, "text_delta", "text", "Hello"),
                delta(0, "text_delta", "text", " there"),
                delta(0, "text_delta", "text", "!"),
                blockStop(0),
                messageDelta("end_turn", 6),
                MESSAGE_STOP);
    }

    private static List<BrowserView.Event> toolUse() {
        return List.of(
                event("message_start", """
                        {"type":"message_start","message":{"id":"msg_019Q1hrJbZG26Fb9BQhrkHEr",\
                        "type":"message","role":"assistant","model":"claude-opus-4-8",\
                        "content":[],"stop_reason":null,"stop_sequence":null,\
                        "usage":{"input_tokens":377,"cache_creation_input_tokens":0,\
                        "cache_read_input_tokens":0,"output_tokens":1,\
                        "service_tier":"standard"}}}\
                        """, ""),
                blockStart(0, "{\"type\":\"text\",\"text\":\"\"}"),
                PING,
                delta(0, "text_delta", "text", "I"),
                delta(0, "text_delta", "text", "'ll check the current weather in Paris for you."),
                blockStop(0),
                blockStart(1, """
                        {"type":"tool_use","id":"toolu_01NRLabsLyVHZPKxbKvkfSMn",\
                        "name":"get_weather","input":{}}\
                        """),
                delta(1, "input_json_delta", "partial_json", ""),
                delta(1, "input_json_delta", "partial_json", "{\"locati"),
                delta(1, "input_json_delta", "partial_json", "on\": \"P"),
                delta(1, "input_json_delta", "partial_json", "ar"),
                delta(1, "input_json_delta", "partial_json", "is\"}"),
                blockStop(1),
                messageDelta("tool_use", 65),
                MESSAGE_STOP);
    }

    private static BrowserView.Event blockStart(int index, String block) {
        return event("content_block_start", "{\"type\":\"content_block_start\",\"index\":" + index
                + ",\"content_block\":" + block + "}", "");
    }

    private static BrowserView.Event delta(int index, String type, String field, String value) {
        return event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":" + index
                + ",\"delta\":{\"type\":\"" + type + "\",\"" + field + "\":" + jsonString(value)
                + "}}", "");
    }

    private static BrowserView.Event blockStop(int index) {
        return event("content_block_stop",
                "{\"type\":\"content_block_stop\",\"index\":" + index + "}", "");
    }

    private static BrowserView.Event messageDelta(String stopReason, int outputTokens) {
        return event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\""
                + stopReason + "\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":"
                + outputTokens + "}}", "");
    }
}

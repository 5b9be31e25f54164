package dev.sluice.sse;

/** One thing read from an event stream: a complete event block or a comment line. */
public sealed interface SseItem permits SseEvent, SseComment {}

package dev.sluice.chain;

import dev.sluice.access.Refusal;

/**
 * Why an upstream's stream was given up before its first content event reached the client,
 * while the chain still had a route to try: what the client would have been told, and the
 * reason the fallback metric and log give.
 *
 * @param reason {@code first_event_timeout}, {@code error_event}, {@code no_event} or
 *     {@code failed}
 * @param health whether it counts as a failure of the upstream (a throttle does not)
 */
public record Fault(Refusal refusal, String reason, boolean health) {}

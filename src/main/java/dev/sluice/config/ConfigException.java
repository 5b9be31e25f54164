package dev.sluice.config;

/** A setting is missing or malformed; the message names the setting and what is wrong. */
public final class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }
}

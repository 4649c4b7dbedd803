package dev.koder.training.spi;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;

/**
 * What a provider gets to create its plugin: the service's home directory and its configuration
 * properties (from {@code Training.builder().property(...)} and system properties starting with
 * {@code training.}). The typed getters are the one reader of settings: each trims the value, treats a blank one as
 * not set, and refuses a malformed one with the same kind of message, {@code property K must be WHAT, got "V"}.
 *
 * @param home the service's home directory, already created and writable
 * @param properties configuration properties, for example {@code training.python=/opt/venv/bin/python}
 */
public record PluginConfig(Path home, Map<String, String> properties) {

    /** Copies the properties so the record stays immutable. */
    public PluginConfig {
        properties = Map.copyOf(properties);
    }

    /** @param key property name @return its value, if set */
    public Optional<String> get(String key) {
        return Optional.ofNullable(properties.get(key));
    }

    /** @param key property name @return its value trimmed, if set and not blank */
    public Optional<String> text(String key) {
        return get(key).map(String::strip).filter(v -> !v.isEmpty());
    }

    /**
     * @param key property name
     * @param otherwise the value when it is not set
     * @return the property as a positive ISO-8601 duration ({@code PT30S}, {@code PT0.5S}, {@code PT5M})
     * @throws IllegalArgumentException naming the property when it is something else
     */
    public Duration duration(String key, Duration otherwise) {
        Optional<String> v = text(key);
        if (v.isEmpty()) {
            return otherwise;
        }
        try {
            Duration d = Duration.parse(v.get());
            if (!d.isNegative() && !d.isZero()) {
                return d;
            }
        } catch (DateTimeParseException e) {
            // said below
        }
        throw refused(key, "a positive ISO-8601 duration such as PT30S", v.get());
    }

    /**
     * @param key property name
     * @param otherwise the value when it is not set
     * @param min the least allowed
     * @param max the most allowed
     * @return the property as a whole number from {@code min} to {@code max}
     * @throws IllegalArgumentException naming the property when it is something else
     */
    public long whole(String key, long otherwise, long min, long max) {
        Optional<String> v = text(key);
        if (v.isEmpty()) {
            return otherwise;
        }
        try {
            long n = Long.parseLong(v.get());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw refused(key, max >= Integer.MAX_VALUE ? "a whole number of " + min + " or more"
                : "a whole number from " + min + " to " + max, v.get());
    }

    /**
     * @param key property name
     * @param otherwise the value when it is not set
     * @return the property as a whole number of 1 or more
     * @throws IllegalArgumentException naming the property when it is something else
     */
    public long positive(String key, long otherwise) {
        return whole(key, otherwise, 1, Long.MAX_VALUE);
    }

    /**
     * @param key property name
     * @param otherwise the value when it is not set
     * @return the property as {@code true} or {@code false} (any case)
     * @throws IllegalArgumentException naming the property when it is something else
     */
    public boolean flag(String key, boolean otherwise) {
        Optional<String> v = text(key);
        if (v.isEmpty()) {
            return otherwise;
        }
        if (v.get().equalsIgnoreCase("true") || v.get().equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v.get());
        }
        throw refused(key, "true or false", v.get());
    }

    /**
     * @param key the property
     * @param what what it must be, for example {@code a whole number of 1 or more}
     * @param value what it is
     * @return the error that says so, for a plugin's own checks in the same words
     */
    public static IllegalArgumentException refused(String key, String what, String value) {
        return new IllegalArgumentException("property " + key + " must be " + what + ", got \"" + value + "\"");
    }
}

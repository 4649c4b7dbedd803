package dev.koder.training.spi;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What a provider gets to create its plugin: the service's home directory and its configuration
 * properties (from {@code Training.builder().property(...)} and system properties starting with
 * {@code training.}).
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
}

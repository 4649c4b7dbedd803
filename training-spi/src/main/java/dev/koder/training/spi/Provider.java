package dev.koder.training.spi;

/**
 * Creates one kind of plugin. Found through {@link java.util.ServiceLoader} under the name of its
 * kind-specific sub-interface; must have a public no-argument constructor and do no work in it.
 *
 * @param <T> the plugin type
 */
public interface Provider<T> {

    /** @return short unique name within its kind, for example {@code trl} or {@code sqlite} */
    String name();

    /**
     * @return preference when no name picks one: the highest wins, ties are an error (default 0; built-in
     *     defaults use -100 so that any installed plugin wins)
     */
    default int priority() {
        return 0;
    }

    /**
     * Creates the plugin. Called lazily, only when the plugin is needed.
     *
     * @param config home directory and properties
     * @return a new plugin instance
     */
    T create(PluginConfig config);
}

package dev.koder.training.core;

import dev.koder.training.api.AmbiguousPluginException;
import dev.koder.training.api.PluginNotFoundException;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.Provider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The plugins of one kind: those passed in code, then those found by {@link ServiceLoader} (with the context
 * class loader, falling back to the SDK's own). Created lazily, once each. Explicit plugins outrank
 * discovered ones. The three ways to fail each have their own message: none found (names the artifact to
 * add), several equally good (names the property that picks one), unknown name (lists the known ones).
 *
 * @param <T> plugin type
 */
final class Plugins<T> {

    private final String kind;
    private final String artifact;
    private final String property;
    private final PluginConfig config;
    private final Map<String, Candidate<T>> candidates = new LinkedHashMap<>();

    private static final class Candidate<T> {
        final String name;
        final int priority;
        final Provider<T> provider;
        T instance;

        Candidate(String name, int priority, Provider<T> provider, T instance) {
            this.name = name;
            this.priority = priority;
            this.provider = provider;
            this.instance = instance;
        }
    }

    /**
     * @param kind words for messages, for example "training runner"
     * @param artifact the artifact that provides a default, for messages
     * @param property the configuration property that names the plugin to use
     * @param type the provider interface
     * @param explicit plugins passed in code
     * @param nameOf the name of an explicit plugin
     * @param config what providers get
     * @param discover whether to look for providers on the class path
     */
    Plugins(String kind, String artifact, String property, Class<? extends Provider<T>> type, List<T> explicit,
            Function<T, String> nameOf, PluginConfig config, boolean discover) {
        this.kind = kind;
        this.artifact = artifact;
        this.property = property;
        this.config = config;
        for (T plugin : explicit) {
            String name = nameOf.apply(plugin);
            candidates.put(name, new Candidate<>(name, Integer.MAX_VALUE, null, plugin));
        }
        if (discover) {
            for (Provider<T> p : discover(type)) {
                candidates.putIfAbsent(p.name(), new Candidate<>(p.name(), p.priority(), p, null));
            }
        }
    }

    private static <T> List<Provider<T>> discover(Class<? extends Provider<T>> type) {
        Set<String> seen = new LinkedHashSet<>();
        List<Provider<T>> found = new ArrayList<>();
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        for (ClassLoader loader : new ClassLoader[] {context, Plugins.class.getClassLoader()}) {
            if (loader == null) {
                continue;
            }
            for (Provider<T> p : ServiceLoader.load(type, loader)) {
                if (seen.add(p.getClass().getName())) {
                    found.add(p);
                }
            }
        }
        return found;
    }

    /** @return names of every plugin of this kind, explicit first */
    Set<String> names() {
        return candidates.keySet();
    }

    /**
     * @param name a plugin name
     * @return the plugin
     * @throws PluginNotFoundException listing the known names when none has this one
     */
    synchronized T named(String name) {
        Candidate<T> c = candidates.get(name);
        if (c == null) {
            String known = candidates.isEmpty() ? "none is installed; add " + artifact
                    : "known: " + String.join(", ", candidates.keySet());
            throw new PluginNotFoundException("Unknown " + kind + " '" + name + "'; " + known + ".");
        }
        return instance(c);
    }

    /**
     * @return the plugin the property names, else the single one with the highest priority
     * @throws PluginNotFoundException when there is none
     * @throws AmbiguousPluginException when several share the highest priority
     */
    synchronized T chosen() {
        String wanted = config.get(property).orElse(null);
        if (wanted != null && !wanted.isBlank()) {
            return named(wanted.trim());
        }
        if (candidates.isEmpty()) {
            throw new PluginNotFoundException("No " + kind + " found. Add the artifact " + artifact
                    + " to the class path, or pass one to Training.builder().");
        }
        int best = candidates.values().stream().mapToInt(c -> c.priority).max().orElseThrow();
        List<Candidate<T>> top = candidates.values().stream().filter(c -> c.priority == best)
                .collect(Collectors.toList());
        if (top.size() > 1) {
            throw new AmbiguousPluginException("Several " + kind + "s found: "
                    + top.stream().map(c -> c.name).collect(Collectors.joining(", ")) + ". Pick one with the "
                    + "property " + property + "=<name>.");
        }
        return instance(top.get(0));
    }

    /** @return every plugin of this kind, created */
    synchronized List<T> all() {
        List<T> out = new ArrayList<>();
        for (Candidate<T> c : candidates.values()) {
            out.add(instance(c));
        }
        return out;
    }

    /**
     * @return every plugin of this kind, created, with whether it was passed in code: those passed in code first,
     *     then by priority, highest first
     */
    synchronized List<Ranked<T>> ranked() {
        List<Candidate<T>> sorted = new ArrayList<>(candidates.values());
        sorted.sort((a, b) -> Integer.compare(b.priority, a.priority));
        List<Ranked<T>> out = new ArrayList<>();
        for (Candidate<T> c : sorted) {
            out.add(new Ranked<>(instance(c), c.priority == Integer.MAX_VALUE));
        }
        return out;
    }

    /** A plugin and whether it was passed in code. */
    record Ranked<T>(T plugin, boolean explicit) {
    }

    /** @return whether the configuration names a plugin through this kind's property */
    boolean named() {
        return config.get(property).filter(s -> !s.isBlank()).isPresent();
    }

    /** @return the plugins created so far */
    synchronized List<T> created() {
        return candidates.values().stream().filter(c -> c.instance != null).map(c -> c.instance)
                .collect(Collectors.toList());
    }

    private T instance(Candidate<T> c) {
        if (c.instance == null) {
            c.instance = c.provider.create(config);
        }
        return c.instance;
    }
}

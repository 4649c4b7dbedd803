package dev.koder.training.spi;

import java.util.Map;
import java.util.Optional;

/**
 * A tracking sink's durable key-value state in the home's database (one namespace per sink name). Every call
 * commits before it returns, so what was put survives a crash of the process; safe from many threads and
 * processes. Meant for bookkeeping (which run a job has, how far its events were sent), not bulk data.
 */
public interface TrackingState {

    /** @param key a key @return its value, if set */
    Optional<String> get(String key);

    /** @param key a key @param value its new value */
    void put(String key, String value);

    /**
     * Sets a key only if it is absent.
     *
     * @param key a key
     * @param value the value
     * @return true when it was set, false when the key already had a value
     */
    boolean putIfAbsent(String key, String value);

    /** @param key a key to remove; nothing happens when it is absent */
    void delete(String key);

    /**
     * @param prefix the start of the keys, for example {@code run/}
     * @return every key starting with it and its value, in key order
     */
    Map<String, String> withPrefix(String prefix);
}

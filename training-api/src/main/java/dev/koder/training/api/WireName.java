package dev.koder.training.api;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** An enum constant with the name it has in JSON and on the command line. */
public interface WireName {

    /** @return the name used in JSON specs and CLI options, for example {@code prompt-completion} */
    String wireName();

    /**
     * Looks an enum constant up by its wire name, ignoring case.
     *
     * @param type the enum class
     * @param name the wire name
     * @param <E> the enum type
     * @return the constant
     * @throws IllegalArgumentException naming the accepted values when none matches
     */
    static <E extends Enum<E> & WireName> E parse(Class<E> type, String name) {
        for (E e : type.getEnumConstants()) {
            if (e.wireName().equalsIgnoreCase(name.trim())) {
                return e;
            }
        }
        throw new IllegalArgumentException("must be one of " + list(type) + ", got \"" + name + "\"");
    }

    /**
     * @param type the enum class
     * @param <E> the enum type
     * @return the wire names joined with ", ", for messages
     */
    static <E extends Enum<E> & WireName> String list(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(WireName::wireName).collect(Collectors.joining(", "));
    }

    /**
     * @param constant an enum constant whose Java name is the upper-case wire name
     * @return the lower-case wire name
     */
    static String lower(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT);
    }
}

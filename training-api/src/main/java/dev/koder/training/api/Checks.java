package dev.koder.training.api;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Collects violations while a spec is checked, so that {@code build()} reports every mistake at once. The
 * message texts live here and only here: the builder and the JSON path both end up in these methods, which
 * is why they say the same thing about the same mistake.
 */
final class Checks {

    private final List<Violation> violations = new ArrayList<>();

    void add(String pointer, String message) {
        violations.add(new Violation(pointer, message));
    }

    boolean required(String pointer, Object value) {
        if (value == null) {
            add(pointer, "is required");
            return false;
        }
        return true;
    }

    void between(String pointer, Integer value, long min, long max) {
        if (value != null && (value < min || value > max)) {
            add(pointer, "must be between " + min + " and " + max + ", got " + value);
        }
    }

    /** Range check on a decimal; bounds are inclusive unless the matching flag says exclusive. */
    void between(String pointer, Double value, double min, boolean minExclusive, double max, boolean maxExclusive) {
        if (value == null) {
            return;
        }
        boolean tooLow = minExclusive ? value <= min : value < min;
        boolean tooHigh = maxExclusive ? value >= max : value > max;
        if (tooLow || tooHigh || value.isNaN()) {
            String low = minExclusive ? "greater than " + format(min) : "at least " + format(min);
            String high = maxExclusive ? "less than " + format(max) : "at most " + format(max);
            String range = !minExclusive && !maxExclusive
                    ? "between " + format(min) + " and " + format(max)
                    : low + " and " + high;
            add(pointer, "must be " + range + ", got " + format(value));
        }
    }

    void matches(String pointer, String value, Pattern pattern, String description) {
        if (value != null && !pattern.matcher(value).matches()) {
            add(pointer, "must be " + description + ", got " + quote(value));
        }
    }

    void maxLength(String pointer, String value, int max) {
        if (value != null && value.length() > max) {
            add(pointer, "must be at most " + max + " characters, got " + value.length());
        }
    }

    void notBlank(String pointer, String value) {
        if (value != null && value.isBlank()) {
            add(pointer, "must not be empty");
        }
    }

    List<Violation> violations() {
        return List.copyOf(violations);
    }

    static String at(String parent, String child) {
        return parent + "/" + Violation.escape(child);
    }

    static String quote(String value) {
        String shown = value.length() > 80 ? value.substring(0, 77) + "..." : value;
        return "\"" + shown.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    /** Formats a number the way a person writes it: 0.0002, 2, 1.5 (never 2.0E-4 or 2.0). */
    static String format(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return Double.toString(value);
        }
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }
}

package dev.koder.training.api;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A job spec that breaks one or more rules. Lists every violation at once, each with its JSON pointer, so a
 * user fixes all of them in one go. Never retriable.
 */
public class InvalidSpecException extends TrainingException {

    private static final long serialVersionUID = 1L;

    private final transient List<Violation> violations;

    /**
     * @param violations every problem found; must not be empty
     */
    public InvalidSpecException(List<Violation> violations) {
        this("Invalid job spec", violations);
    }

    /**
     * @param title what was being checked, for example {@code Invalid job spec examples/lora.json}
     * @param violations every problem found; must not be empty
     */
    public InvalidSpecException(String title, List<Violation> violations) {
        super(describe(title, violations), false);
        if (violations.isEmpty()) {
            throw new IllegalArgumentException("an InvalidSpecException needs at least one violation");
        }
        this.violations = List.copyOf(violations);
    }

    /** @return every violation, in document order */
    public List<Violation> violations() {
        return violations;
    }

    static String describe(String title, List<Violation> violations) {
        String noun = violations.size() == 1 ? "problem" : "problems";
        return title + " (" + violations.size() + " " + noun + "):"
                + violations.stream().map(v -> "\n  " + v).collect(Collectors.joining());
    }
}

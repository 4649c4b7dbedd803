package dev.koder.training.core;

import dev.koder.training.api.FailureCause;
import dev.koder.training.api.WireName;
import dev.koder.training.spi.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * The table of failure causes ({@code failure-causes.json} in training-api), which the Python trainers read too:
 * each cause with its description and whether it is retried, the error kinds a trainer may report and the cause
 * each is, the trainers' exit codes, and the states executors end trainers with and the cause each is. Read once; a table that does not match {@link FailureCause} stops the
 * service from loading.
 */
final class CauseTable {

    /** The resource, beside {@link FailureCause}; staged with the Python trainers. */
    static final String RESOURCE = "failure-causes.json";

    /** How a cause may be retried. */
    enum Retry implements WireName {
        /** Retried by the default policy. */
        DEFAULT,
        /** Retried when a home lists it in {@code training.retry.causes}. */
        ALLOWED,
        /** Never: the same input fails the same way. */
        NEVER;

        @Override
        public String wireName() {
            return WireName.lower(this);
        }
    }

    private static final CauseTable TABLE = read();

    private final Map<FailureCause, Retry> retry;
    private final Map<FailureCause, String> descriptions;
    private final Map<String, Optional<FailureCause>> kinds;
    private final Map<String, Integer> exitCodes;
    private final Map<String, FailureCause> states;

    private CauseTable(Map<FailureCause, Retry> retry, Map<FailureCause, String> descriptions,
            Map<String, Optional<FailureCause>> kinds, Map<String, Integer> exitCodes, Map<String, FailureCause> states) {
        this.retry = retry;
        this.descriptions = descriptions;
        this.kinds = kinds;
        this.exitCodes = exitCodes;
        this.states = states;
    }

    static CauseTable get() {
        return TABLE;
    }

    private static CauseTable read() {
        JsonNode root;
        try (InputStream in = FailureCause.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing beside " + FailureCause.class.getName());
            }
            root = Json.MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        Map<FailureCause, Retry> retry = new EnumMap<>(FailureCause.class);
        Map<FailureCause, String> descriptions = new EnumMap<>(FailureCause.class);
        for (JsonNode c : root.path("causes")) {
            FailureCause cause = WireName.parse(FailureCause.class, c.path("cause").asString());
            retry.put(cause, WireName.parse(Retry.class, c.path("retry").asString()));
            descriptions.put(cause, c.path("description").asString());
        }
        EnumSet<FailureCause> missing = EnumSet.allOf(FailureCause.class);
        missing.removeAll(retry.keySet());
        if (!missing.isEmpty()) {
            throw new IllegalStateException(RESOURCE + " lacks the causes " + missing);
        }
        Map<String, Optional<FailureCause>> kinds = new LinkedHashMap<>();
        root.path("trainer_kinds").properties().forEach(e -> kinds.put(e.getKey(), e.getValue().isNull()
                ? Optional.empty() : Optional.of(WireName.parse(FailureCause.class, e.getValue().asString()))));
        Map<String, Integer> exits = new LinkedHashMap<>();
        root.path("exit_codes").properties().forEach(e -> exits.put(e.getKey(), e.getValue().asInt()));
        Map<String, FailureCause> states = new LinkedHashMap<>();
        root.path("executor_states").properties().forEach(e -> states.put(e.getKey(), WireName.parse(
                FailureCause.class, e.getValue().asString())));
        return new CauseTable(Collections.unmodifiableMap(retry), Collections.unmodifiableMap(descriptions),
                Collections.unmodifiableMap(kinds), Collections.unmodifiableMap(exits),
                Collections.unmodifiableMap(states));
    }

    /** @param cause a cause @return how it may be retried */
    Retry retry(FailureCause cause) {
        return retry.get(cause);
    }

    /** @param level how a cause may be retried @return the causes so */
    Set<FailureCause> causes(Retry level) {
        EnumSet<FailureCause> out = EnumSet.noneOf(FailureCause.class);
        retry.forEach((c, r) -> {
            if (r == level) {
                out.add(c);
            }
        });
        return out;
    }

    /** @param cause a cause @return its description */
    String description(FailureCause cause) {
        return descriptions.get(cause);
    }

    /** @param kind an error kind a trainer reported @return the cause it is; unknown for a kind not in the table */
    FailureCause ofKind(String kind) {
        return kinds.getOrDefault(kind, Optional.of(FailureCause.UNKNOWN)).orElse(FailureCause.UNKNOWN);
    }

    /**
     * @param state an executor's word for how it ended a trainer ({@code slurm:NODE_FAIL})
     * @return the cause it is; unknown for a state not in the table
     */
    FailureCause ofState(String state) {
        return states.getOrDefault(state, FailureCause.UNKNOWN);
    }

    /** @return the executor states the table knows */
    Set<String> states() {
        return states.keySet();
    }

    /** @return the kinds a trainer may report */
    Set<String> kinds() {
        return kinds.keySet();
    }

    /** @return what Python trainers exit with, by meaning */
    Map<String, Integer> exitCodes() {
        return exitCodes;
    }
}

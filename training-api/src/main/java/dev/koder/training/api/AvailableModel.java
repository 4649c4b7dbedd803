package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.Objects;

/**
 * A model a tenant may name as a job's base model, by the name it is to be given: what OpenAI's
 * {@code GET /v1/models} lists. Never a server path.
 *
 * @param id the name a spec's {@code base_model} takes: a hub id, a model root's relative name, or an {@code ft:}
 *     name
 * @param source where the model comes from
 * @param created when it was made: the checkpoint's registration, else the folder's last change
 */
public record AvailableModel(@JsonProperty("id") String id, @JsonProperty("source") Source source,
        @JsonProperty("created") Instant created) {

    /** Checks the fields. */
    public AvailableModel {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(created, "created");
    }

    /** Where an available model comes from. */
    public enum Source implements WireName {
        /** A hub id with a snapshot in the service's Hugging Face cache. */
        HUB_CACHE,
        /** A folder under one of the operator's model roots. */
        MODEL_ROOT,
        /** The output of one of the tenant's own jobs, by its {@code ft:} name. */
        FINE_TUNED;

        @JsonValue
        @Override
        public String wireName() {
            return WireName.lower(this);
        }
    }
}

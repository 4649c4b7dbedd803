package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Optional;

/**
 * One page of a longer list.
 *
 * @param items the items of this page
 * @param nextCursor pass this as {@code after} to get the next page; null on the last page
 * @param <T> item type
 */
public record Page<T>(@JsonProperty("items") List<T> items, @JsonProperty("next_cursor") String nextCursor) {

    /** Copies the items so the record stays immutable. */
    public Page {
        items = List.copyOf(items);
    }

    /** @return the cursor of the next page, empty on the last page */
    public Optional<String> next() {
        return Optional.ofNullable(nextCursor);
    }
}

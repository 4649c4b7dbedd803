package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.spi.TrackingState;
import dev.koder.training.spi.TrackingStateStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What every {@link TrackingStateStore} must do: one namespace per sink, what one store object puts another on the
 * same place reads (as the instance that takes the jobs over would), a put-if-absent that one of many racing wins,
 * and prefixes read in key order. Extend it and implement {@link #openStore(Path)}.
 */
public abstract class TrackingStateStoreCompatibilityKit extends StoreKit<TrackingStateStore> {

    @Test
    void whatOneInstancePuts_anotherReads_inItsSinksNamespaceOnly() {
        TrackingState a = store().of("mlflow");
        a.put("stream/ftjob-1", "12");
        a.put("stream/ftjob-1", "13");
        TrackingState b = store().of("mlflow");
        assertThat(b.get("stream/ftjob-1")).hasValue("13");
        assertThat(store().of("webhook").get("stream/ftjob-1")).isEmpty();
        b.delete("stream/ftjob-1");
        b.delete("stream/none");
        assertThat(a.get("stream/ftjob-1")).isEmpty();
        a.put("text", "a value with 'quotes', \"doubles\" and ünïcödé\n");
        assertThat(b.get("text")).hasValue("a value with 'quotes', \"doubles\" and ünïcödé\n");
    }

    @Test
    void aPrefix_readsItsKeysInOrder_andNoOther() {
        TrackingState a = store().of("mlflow");
        a.put("run/ftjob-2", "r2");
        a.put("run/ftjob-1", "r1");
        a.put("runs", "x");
        a.put("stream/ftjob-1", "5");
        store().of("other").put("run/ftjob-3", "r3");
        Map<String, String> runs = store().of("mlflow").withPrefix("run/");
        assertThat(runs).containsExactly(Map.entry("run/ftjob-1", "r1"), Map.entry("run/ftjob-2", "r2"));
        assertThat(a.withPrefix("nothing/")).isEmpty();
    }

    @Test
    void putIfAbsent_setsOnce_andOfManyRacingThroughTwoInstancesOneWins() throws Exception {
        TrackingState a = store().of("mlflow");
        assertThat(a.putIfAbsent("k", "first")).isTrue();
        assertThat(a.putIfAbsent("k", "second")).isFalse();
        assertThat(a.get("k")).hasValue("first");
        List<TrackingState> states = List.of(store().of("mlflow"), store().of("mlflow"));
        assertThat(race(8, i -> () -> states.get(i % 2).putIfAbsent("raced", "v" + i))).filteredOn(won -> won)
                .hasSize(1);
    }
}

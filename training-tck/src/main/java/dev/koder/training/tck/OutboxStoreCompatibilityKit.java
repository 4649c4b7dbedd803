package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.spi.OutboxMessage;
import dev.koder.training.spi.OutboxStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What every {@link OutboxStore} must do: a queue per sink in the order of appends, each key stored once (also when
 * two instances append it at once), a limit of pending messages, tries counted, sent and dead messages out of the
 * queue but still known by key, pruning of old sent ones. Extend it and implement {@link #openStore(Path)}.
 */
public abstract class OutboxStoreCompatibilityKit extends StoreKit<OutboxStore> {

    static final Instant T = Instant.parse("2026-12-01T10:00:00Z");

    static OutboxMessage message(String key) {
        return new OutboxMessage(key, "registered", "ckpt-" + key, ("{\"key\":\"" + key + "\"}").getBytes(
                StandardCharsets.UTF_8), T);
    }

    @Test
    void messages_queueInOrderPerSink_acrossInstances_withTheirBytes() {
        OutboxStore a = store();
        OutboxStore b = store();
        assertThat(a.append("webhook", message("k1"), 100)).isEqualTo(OutboxStore.Appended.STORED);
        assertThat(b.append("webhook", message("k2"), 100)).isEqualTo(OutboxStore.Appended.STORED);
        assertThat(a.append("mlflow", message("k1"), 100)).as("another sink's queue").isEqualTo(
                OutboxStore.Appended.STORED);
        List<OutboxStore.Pending> next = b.next("webhook", 10);
        assertThat(next).extracting(p -> p.message().key()).containsExactly("k1", "k2");
        assertThat(next.get(0).seq()).isLessThan(next.get(1).seq());
        assertThat(next.get(0).attempts()).isZero();
        OutboxMessage m = next.get(0).message();
        assertThat(m.type()).isEqualTo("registered");
        assertThat(m.subject()).isEqualTo("ckpt-k1");
        assertThat(new String(m.body(), StandardCharsets.UTF_8)).isEqualTo("{\"key\":\"k1\"}");
        assertThat(m.createdAt()).isEqualTo(T);
        assertThat(a.pending("webhook")).isEqualTo(2);
        assertThat(a.next("webhook", 1)).hasSize(1);
    }

    @Test
    void aKeyAppendedAgain_isKnown_evenOnceSentOrDead_andTheLimitRefusesMore() {
        OutboxStore a = store();
        a.append("webhook", message("k1"), 2);
        a.append("webhook", message("k2"), 2);
        assertThat(a.append("webhook", message("k3"), 2)).isEqualTo(OutboxStore.Appended.FULL);
        assertThat(a.append("webhook", message("k1"), 2)).isEqualTo(OutboxStore.Appended.KNOWN);
        List<OutboxStore.Pending> next = a.next("webhook", 10);
        OutboxStore b = store();
        b.failed("webhook", next.get(0).seq(), "HTTP 503");
        assertThat(a.next("webhook", 10).get(0).attempts()).isEqualTo(1);
        b.finish("webhook", next.get(0).seq(), "sent", null, T.plusSeconds(5));
        b.finish("webhook", next.get(1).seq(), "dead", "HTTP 400: bad payload", T.plusSeconds(6));
        assertThat(a.pending("webhook")).isZero();
        assertThat(a.dead("webhook")).isEqualTo(1);
        assertThat(a.next("webhook", 10)).isEmpty();
        assertThat(a.append("webhook", message("k1"), 2)).as("sent").isEqualTo(OutboxStore.Appended.KNOWN);
        assertThat(a.append("webhook", message("k2"), 2)).as("dead").isEqualTo(OutboxStore.Appended.KNOWN);
        assertThat(a.append("webhook", message("k3"), 2)).isEqualTo(OutboxStore.Appended.STORED);
        assertThat(a.prune(T.plusSeconds(5))).as("sent before the time: none").isZero();
        assertThat(a.prune(T.plusSeconds(60))).as("the sent one; the dead one stays").isEqualTo(1);
        assertThat(a.dead("webhook")).isEqualTo(1);
        assertThat(a.append("webhook", message("k1"), 10)).as("forgotten once pruned").isEqualTo(
                OutboxStore.Appended.STORED);
    }

    @Test
    void twoInstancesAppendingAtOnce_storeEachKeyOnce_inOnePlaceEach() throws Exception {
        List<OutboxStore> stores = List.of(store(), store());
        List<OutboxStore.Appended> appended = race(32, i -> () -> stores.get(i % 2).append("webhook",
                message("k" + (i % 16)), 1000));
        assertThat(appended).filteredOn(a -> a == OutboxStore.Appended.STORED).hasSize(16);
        List<OutboxStore.Pending> all = stores.get(0).next("webhook", 100);
        assertThat(all).extracting(p -> p.message().key()).doesNotHaveDuplicates().hasSize(16);
        assertThat(all).extracting(OutboxStore.Pending::seq).doesNotHaveDuplicates().isSorted();
    }
}

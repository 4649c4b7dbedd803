package dev.koder.training.core.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.spi.Backoff;
import dev.koder.training.spi.Delivery;
import dev.koder.training.spi.OutboundSink;
import dev.koder.training.spi.Outbox;
import dev.koder.training.spi.OutboxMessage;
import dev.koder.training.sqlite.SqliteOutbox;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The outbox on the real database: order, a retry before anything later, dead messages, keys, the bound. */
class DeliveriesTest {

    @TempDir
    Path dir;

    /** A sink whose answers the test scripts, and which writes down what it was handed. */
    static final class Scripted implements OutboundSink {
        final List<String> tries = new CopyOnWriteArrayList<>();
        final BiFunction<OutboxMessage, Integer, Delivery> answer;
        Outbox outbox;

        Scripted(BiFunction<OutboxMessage, Integer, Delivery> answer) {
            this.answer = answer;
        }

        @Override
        public String outboxName() {
            return "scripted";
        }

        @Override
        public void start(Outbox outbox) {
            this.outbox = outbox;
        }

        @Override
        public Delivery deliver(OutboxMessage message, int attempt) {
            tries.add(message.key() + "#" + attempt);
            return answer.apply(message, attempt);
        }
    }

    static OutboxMessage message(String key) {
        return new OutboxMessage(key, "test", null, key.getBytes(StandardCharsets.UTF_8), Instant.now());
    }

    Deliveries deliveries(SqliteOutbox store, long max) {
        return new Deliveries(store, Clock.systemUTC(), new Backoff(Duration.ofMillis(10), Duration.ofMillis(50)), max,
                Duration.ofMillis(20), Duration.ofMillis(400));
    }

    @Test
    void aFailedTry_isRepeatedBeforeAnythingLater_aRefusedOneIsKeptDead_andAKeyIsSentOnce() throws Exception {
        try (SqliteOutbox store = SqliteOutbox.open(dir.resolve("training.db"))) {
            Scripted sink = new Scripted((m, attempt) -> m.key().equals("b") && attempt < 3
                    ? Delivery.retry("HTTP 503", null)
                    : m.key().equals("c") ? Delivery.rejected("HTTP 400: no such tenant") : Delivery.sent());
            try (Deliveries d = deliveries(store, 100)) {
                d.open(sink);
                for (String k : List.of("a", "b", "c", "d")) {
                    assertThat(sink.outbox.append(message(k))).isTrue();
                }
                assertThat(sink.outbox.append(message("a"))).as("a known key is not stored again").isTrue();
                d.startSending();
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (sink.outbox.pending() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(sink.tries).containsExactly("a#1", "b#1", "b#2", "b#3", "c#1", "d#1");
                assertThat(store.dead("scripted")).isEqualTo(1);
                assertThat(d.describe()).singleElement().asString().contains("0 waiting", "1 refused for good");
                sink.outbox.append(message("d"));
                Thread.sleep(100);
                assertThat(sink.tries).as("d was sent; appending it again sends nothing").hasSize(6);
            }
        }
    }

    @Test
    void aFullOutbox_dropsWhatComesAfterItsLimit_andSaysSo_butKeepsWhatItHolds() {
        try (SqliteOutbox store = SqliteOutbox.open(dir.resolve("training.db"))) {
            Scripted sink = new Scripted((m, attempt) -> Delivery.retry("down", null));
            try (Deliveries d = deliveries(store, 3)) {
                d.open(sink);
                assertThat(List.of("a", "b", "c", "d", "e").stream().map(k -> sink.outbox.append(message(k))))
                        .containsExactly(true, true, true, false, false);
                assertThat(sink.outbox.pending()).isEqualTo(3);
                assertThat(d.describe()).singleElement().asString().contains("3 waiting", "2 dropped when full");
            }
            // another process, the same database: what was stored is still there, in order
            assertThat(store.next("scripted", 10)).extracting(p -> p.message().key()).containsExactly("a", "b", "c");
        }
    }

    @Test
    void aProcessThatSendsNothing_sendsWhatWaitsWhenItCloses_withinTheCloseWait() {
        try (SqliteOutbox store = SqliteOutbox.open(dir.resolve("training.db"))) {
            Scripted sink = new Scripted((m, attempt) -> m.key().equals("c") ? Delivery.retry("HTTP 503", null)
                    : Delivery.sent());
            Deliveries d = deliveries(store, 100);
            d.open(sink);
            for (String k : List.of("a", "b", "c", "d")) {
                sink.outbox.append(message(k));
            }
            assertThat(sink.tries).as("nothing is sent while it runs: it is not the worker").isEmpty();
            long t0 = System.nanoTime();
            d.close();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("within the close wait").isLessThan(
                    Duration.ofSeconds(2));
            assertThat(sink.tries).startsWith("a#1", "b#1", "c#1").doesNotContain("d#1")
                    .allMatch(t -> !t.startsWith("c") || t.startsWith("c#"));
            assertThat(store.next("scripted", 10)).extracting(p -> p.message().key()).as("left for the worker")
                    .containsExactly("c", "d");
        }
    }
}

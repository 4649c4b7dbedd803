package dev.koder.training.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.JobStatus;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.tck.Samples;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A claim of a queued job passes over a row another transaction holds ({@code SKIP LOCKED}) and answers at once that
 * the job is not to be had now, where any other change waits its turn; once the row is free the claim succeeds.
 */
class PostgresClaimTest {

    @TempDir
    Path dir;

    @Test
    void aClaimOfARowAnotherChangeHolds_passesOverItAtOnce_andOtherChangesWaitTheirTurn() throws Exception {
        PostgresSettings settings = PostgresServer.get().settings(dir);
        try (PostgresJobStore store = PostgresJobStore.open(settings, Clock.systemUTC());
                Connection other = DriverManager.getConnection(settings.url(), settings.user(),
                        settings.password())) {
            store.insert(Samples.queued("ftjob-claim", "acme", Instant.now()), List.of());
            other.setAutoCommit(false);
            other.createStatement().execute("SET search_path TO " + settings.schema());
            try (PreparedStatement hold = other.prepareStatement("SELECT id FROM jobs WHERE id = ? FOR UPDATE")) {
                hold.setString(1, "ftjob-claim");
                hold.executeQuery().close();
            }
            CompletableFuture<Boolean> claim = CompletableFuture.supplyAsync(() -> store.update("ftjob-claim",
                    JobStatus.QUEUED, JobUpdate.to(JobStatus.RUNNING).build(), List.of()).isPresent());
            try {
                assertThat(claim.get(3, TimeUnit.SECONDS)).as("a claim of a held row, answered at once").isFalse();
            } finally {
                if (!claim.isDone()) {
                    other.rollback(); // a claim that waited: let it go, the test has failed
                }
            }
            CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> store.update("ftjob-claim",
                    JobStatus.QUEUED, JobUpdate.builder().queueReason("waits for a GPU").build(), List.of())
                    .isPresent());
            Thread.sleep(500);
            assertThat(waiting).as("another change waits for the row").isNotDone();
            other.rollback();
            assertThat(waiting.get(10, TimeUnit.SECONDS)).isTrue();
            assertThat(store.update("ftjob-claim", JobStatus.QUEUED, JobUpdate.to(JobStatus.RUNNING).build(), List.of()))
                    .as("the claim once the row is free").isPresent();
            assertThat(store.find("ftjob-claim").orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
        }
    }
}

package dev.koder.training.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Resources;
import dev.koder.training.api.Tier;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.core.Training;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stores chosen by their properties inside a real service; their settings and errors. */
class PostgresServiceTest {

    @TempDir
    Path dir;

    JobSpec spec(int steps) throws Exception {
        Path model = dir.resolve("model");
        Files.createDirectories(model);
        Files.writeString(model.resolve("config.json"), "{\"model_type\":\"llama\"}");
        Path data = dir.resolve("train.jsonl");
        Files.writeString(data, ("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\","
                + "\"content\":\"HI\"}]}\n").repeat(8));
        return JobSpec.builder().name("on-postgres").tenant("acme").tier(Tier.PRO).baseModel(model.toString())
                .method(TrainingMethod.sftLora()).hyperparameters(Hyperparameters.builder().maxSteps(steps).build())
                .checkpoints(CheckpointPolicy.everySteps(2, 100)).trainingData(DatasetRef.of(data, DatasetFormat.CHAT))
                .resources(Resources.cpu()).metadata("fake.step_seconds", "0.02").build();
    }

    Training.Builder service(Path home) {
        Training.Builder b = Training.builder().home(home).property("training.models.roots", dir.toString())
                .runner(new ScriptedRunner("fake", ScriptedRunner.allMethods())).pollInterval(Duration.ofMillis(50));
        PostgresServer.get().properties(dir).forEach(b::property);
        return b;
    }

    @Test
    void aServiceOnPostgres_runsAJob_itsEventsAndReservationInTheDatabase_andAnotherHomeSeesThem() throws Exception {
        String id;
        try (PostgresQuotaLedger ledger = PostgresQuotaLedger.open(PostgresServer.get().settings(dir))) {
            ledger.setBudget("acme", 100);
        }
        try (Training t = service(dir.resolve("home")).build()) {
            Job done = t.jobs().await(t.jobs().submit(spec(6)).id(), Duration.ofSeconds(60));
            assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
            id = done.id();
            assertThat(t.quotas().usage("acme", Instant.now()).budgetGpuHours())
                    .as("the service's ledger is the database's: it sees the budget set there").isEqualTo(100.0);
        }
        try (PostgresJobStore store = PostgresJobStore.open(PostgresServer.get().settings(dir), Clock.systemUTC());
                PostgresQuotaLedger ledger = PostgresQuotaLedger.open(PostgresServer.get().settings(dir))) {
            assertThat(store.find(id).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
            List<JobEvent> events = store.events(id, 0, 1000).items();
            assertThat(events).extracting(JobEvent::type).contains(JobEvent.TYPE_STARTED, JobEvent.TYPE_USAGE);
            assertThat(events.stream().filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS))).hasSize(6);
            assertThat(ledger.budget("acme")).hasValue(100.0);
        }
        // a second home on the same database: the job is there
        try (Training other = service(dir.resolve("other-home")).runJobs(false).build()) {
            assertThat(other.jobs().get(id).status()).isEqualTo(JobStatus.SUCCEEDED);
        }
    }

    @Test
    void aJobSubmittedThroughOneInstance_runsOnTheOther_andTheFirstsListenersHearEveryEventOnceInOrder()
            throws Exception {
        try (Training worker = service(dir.resolve("home-a")).property("training.events.poll", "PT0.1S").build();
                Training client = service(dir.resolve("home-b")).property("training.events.poll", "PT0.1S")
                        .runJobs(false).build()) {
            List<JobEvent> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
            client.jobs().addListener((job, e) -> heard.add(e));
            String id = client.jobs().submit(spec(8)).id();
            Job done = client.jobs().await(id, Duration.ofSeconds(60));
            assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
            // what is stored is read again once the client has heard as many, so a listener that heard too few or
            // too many is seen either way
            List<JobEvent> stored = worker.jobs().events(id, 0, 1000).items();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline) {
                Thread.sleep(300);
                stored = worker.jobs().events(id, 0, 1000).items();
                if (heard.stream().filter(e -> e.jobId().equals(id)).count() >= stored.size()) {
                    break;
                }
            }
            Thread.sleep(300);
            stored = worker.jobs().events(id, 0, 1000).items();
            assertThat(heard).filteredOn(e -> e.jobId().equals(id)).extracting(JobEvent::seq)
                    .as("what the client's listener heard of a job another instance ran")
                    .containsExactlyElementsOf(stored.stream().map(JobEvent::seq).toList());
            assertThat(heard).extracting(JobEvent::type).contains(JobEvent.TYPE_STARTED, JobEvent.TYPE_PROGRESS,
                    JobEvent.TYPE_USAGE);
        }
    }

    @Test
    void aWorkerThatLosesItsLease_standsDownAtOnce_andTheStandbyTakesOverAndFinishesItsJob() throws Exception {
        try (Training a = service(dir.resolve("home-a")).property("training.lease.timeout", "PT1S")
                .property("training.jobs.dir", dir.resolve("jobs").toString()).build();
                Training b = service(dir.resolve("home-b")).property("training.lease.timeout", "PT1S")
                        .property("training.jobs.dir", dir.resolve("jobs").toString()).build()) {
            assertThat(a.runsJobs()).isTrue();
            assertThat(b.runsJobs()).as("a standby").isFalse();
            String id = a.jobs().submit(spec(400)).id();
            Await.until("the job runs past its second step", Duration.ofSeconds(60), () -> {
                Job j = b.jobs().get(id);
                return j.progress().step() != null && j.progress().step() >= 2;
            });
            // another instance took the lease while A was not looking (a pause, a partition): A's next renewal fails
            PostgresSettings s = PostgresServer.get().settings(dir);
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(s.url(), s.user(), s.password());
                    java.sql.Statement st = c.createStatement()) {
                st.execute("UPDATE " + s.schema() + ".worker_lease SET holder = 'elsewhere', expires_at = "
                        + "clock_timestamp() - interval '1 second'");
            }
            Await.until("A stands down and B takes over", Duration.ofSeconds(10), () -> !a.runsJobs() && b.runsJobs());
            Job done = b.jobs().await(id, Duration.ofSeconds(90));
            assertThat(done.status()).as("%s", done.failure()).isEqualTo(JobStatus.SUCCEEDED);
            List<JobEvent> events = b.jobs().events(id, 0, 1000).items();
            assertThat(events).extracting(JobEvent::message).anyMatch(m -> m.contains("took the worker lease over")
                    || m.contains("resum"));
            List<Long> steps = events.stream().filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS))
                    .map(e -> ((Number) e.data().get("step")).longValue()).toList();
            assertThat(steps.get(steps.size() - 1)).isEqualTo(400L);
        }
    }

    @Test
    void settings_comeFromPropertiesOrPostgresEnvironment_andSayWhatIsMissing() {
        PostgresSettings fromEnv = PostgresSettings.from(new PluginConfig(dir, Map.of()), Map.of("PGHOST", "db.internal",
                "PGPORT", "6432", "PGDATABASE", "training", "PGUSER", "svc", "PGPASSWORD", "s3cret"));
        assertThat(fromEnv.url()).isEqualTo("jdbc:postgresql://db.internal:6432/training");
        assertThat(fromEnv.user()).isEqualTo("svc");
        assertThat(fromEnv.schema()).isEqualTo("public");
        assertThat(fromEnv.toString()).doesNotContain("s3cret");
        PostgresSettings props = PostgresSettings.from(new PluginConfig(dir, Map.of(PostgresSettings.PREFIX + "url",
                "jdbc:postgresql://x/y", PostgresSettings.PREFIX + "user", "u", PostgresSettings.PREFIX + "schema",
                "tenant_a")), Map.of("PGUSER", "ignored"));
        assertThat(props.user()).isEqualTo("u");
        assertThat(props.schema()).isEqualTo("tenant_a");
        assertThatThrownBy(() -> PostgresSettings.from(new PluginConfig(dir, Map.of()), Map.of()))
                .hasMessageContaining("training.store.postgres.url").hasMessageContaining("PGHOST");
        assertThatThrownBy(() -> PostgresSettings.from(new PluginConfig(dir, Map.of(PostgresSettings.PREFIX + "url",
                "jdbc:mysql://x/y")), Map.of())).hasMessageContaining("jdbc:postgresql:");
        assertThatThrownBy(() -> PostgresSettings.from(new PluginConfig(dir, Map.of(PostgresSettings.PREFIX + "url",
                "jdbc:postgresql://x/y", PostgresSettings.PREFIX + "schema", "x; DROP TABLE jobs")), Map.of()))
                .hasMessageContaining("schema");
    }

    @Test
    void aDatabaseThatDoesNotAnswer_failsTheStart_sayingWhereAndWhatToCheck() {
        PostgresSettings nowhere = new PostgresSettings("jdbc:postgresql://127.0.0.1:1/training?connectTimeout=2",
                "training", "x", "public", 2);
        assertThatThrownBy(() -> PostgresJobStore.open(nowhere, Clock.systemUTC()))
                .hasMessageContaining("127.0.0.1:1").hasMessageContaining("Check that the server runs")
                .hasMessageNotContaining("password=x");
    }
}

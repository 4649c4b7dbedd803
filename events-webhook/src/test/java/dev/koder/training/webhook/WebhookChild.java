package dev.koder.training.webhook;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobStatus;
import dev.koder.training.core.Training;
import dev.koder.training.sqlite.SqliteOutbox;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A service in a process of its own, to be killed with its outbox full: {@code WebhookChild HOME URL}. It runs a job
 * whose receiver is down, and prints {@code READY <pending>} once every message is in the outbox, unsent.
 */
public final class WebhookChild {

    private WebhookChild() {
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        Training t = Service.builder(home, args[1]).build();
        Job done = t.jobs().await(t.jobs().submit(Service.job(home.getParent(), "killed", 20)).id(),
                Duration.ofSeconds(60));
        if (done.status() != JobStatus.SUCCEEDED) {
            System.out.println("FAILED " + done.failure());
            System.exit(1);
        }
        try (SqliteOutbox outbox = SqliteOutbox.open(home.resolve("training.db"))) {
            // intermediate checkpoints are registered in the background, and the usage record goes out as the attempt
            // ends: wait until all eleven registrations (ten saves and the output) and the record are in the outbox
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while ((outbox.pending("webhook-usage") < 1 || outbox.pending("webhook-registry") < 11)
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            System.out.println("READY " + (outbox.pending("webhook-registry") + outbox.pending("webhook-usage")));
        }
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}

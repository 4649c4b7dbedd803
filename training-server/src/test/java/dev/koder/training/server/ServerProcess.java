package dev.koder.training.server;

import dev.koder.training.core.Training;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Path;
import java.time.Duration;

/** A server in a process of its own, for tests that kill it: {@code ServerProcess HOME PORT}. */
public final class ServerProcess {

    private ServerProcess() {
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        Training training = Training.builder().home(home).property("training.models.roots", home.getParent()
                .toString()).runner(new ScriptedRunner("fake", ScriptedRunner.allMethods()))
                .pollInterval(Duration.ofMillis(100)).build();
        TrainingServer server = TrainingServer.builder(training).port(Integer.parseInt(args[1])).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            training.close();
        }));
        System.out.println("READY " + server.port());
        System.out.flush();
        server.awaitStop();
    }
}

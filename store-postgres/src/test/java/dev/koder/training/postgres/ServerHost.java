package dev.koder.training.postgres;

import dev.koder.training.core.Training;
import dev.koder.training.server.TrainingServer;
import dev.koder.training.tck.KitProcess;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A reference server in a JVM of its own, its stores chosen by the {@code training.*} system properties it is started
 * with: {@code ServerHost HOME PORT}. Prints {@code READY PORT} once it answers.
 */
public final class ServerHost {

    private ServerHost() {
    }

    static Process start(Path home, int port, Map<String, String> properties) throws java.io.IOException {
        List<String> options = new ArrayList<>(List.of("-Xmx384m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
        properties.forEach((k, v) -> options.add("-D" + k + "=" + v));
        return new ProcessBuilder(KitProcess.java(options, ServerHost.class, home.toString(), Integer.toString(port)))
                .redirectErrorStream(true).start();
    }

    public static void main(String[] args) throws Exception {
        Training training = Training.builder().home(Path.of(args[0]))
                .runner(new ScriptedRunner("fake", ScriptedRunner.allMethods())).pollInterval(Duration.ofMillis(100))
                .build();
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

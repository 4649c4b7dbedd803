package dev.koder.training.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.core.Training;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's table of roles is the server's own: every route, with the least role that may call it. */
class RolesTableTest {

    @TempDir
    Path dir;

    @Test
    void theReadmesRolesTable_isTheOneInCode() throws Exception {
        List<String> expected;
        try (Training training = Training.builder().home(dir.resolve("home")).runJobs(false).build();
                TrainingServer server = TrainingServer.builder(training).port(0).start()) {
            expected = server.rolesTable().stream().map(row -> {
                String[] cells = row.split(" \\| ", 3);
                return "| `" + cells[0] + "` | " + cells[1] + " | " + cells[2] + " |";
            }).toList();
        }
        String readme = Files.readString(Path.of("../README.md"));
        int from = readme.indexOf("<!-- roles:start -->");
        int to = readme.indexOf("<!-- roles:end -->");
        assertThat(from).as("the README marks its roles table with <!-- roles:start --> and <!-- roles:end -->")
                .isPositive();
        List<String> rows = readme.substring(from, to).lines().filter(l -> l.startsWith("| `")).toList();
        assertThat(rows).as("README rows; the table in code is:\n" + String.join("\n", expected))
                .containsExactlyElementsOf(expected);
    }
}

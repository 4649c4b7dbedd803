package dev.koder.training.python;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Python interpreter a trainer runs with: either a managed virtualenv the SDK created for a set of
 * {@link Requirements}, or an interpreter given by path (a GPU host with its own CUDA build of torch).
 */
public final class PythonEnvironment {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path python;
    private final boolean managed;
    private volatile PythonProbe probe;

    PythonEnvironment(Path python, boolean managed, PythonProbe probe) {
        this.python = python;
        this.managed = managed;
        this.probe = probe;
    }

    /**
     * @param python an interpreter's path
     * @return an environment over it; nothing is checked until {@link #probe}
     */
    public static PythonEnvironment external(Path python) {
        return new PythonEnvironment(python, false, null);
    }

    /** @return the interpreter */
    public Path python() {
        return python;
    }

    /** @return true when the SDK created and owns this environment */
    public boolean managed() {
        return managed;
    }

    /**
     * Asks the interpreter what it has (once; the answer is kept).
     *
     * @param packages distribution names to report versions of
     * @return what it reported
     * @throws IOException when the interpreter cannot run
     */
    public PythonProbe probe(Collection<String> packages) throws IOException {
        PythonProbe known = probe;
        if (known != null && known.packages().keySet().containsAll(packages)) {
            return known;
        }
        Path script = Files.createTempFile("probe", ".py");
        try {
            try (InputStream in = PythonEnvironment.class.getResourceAsStream("probe.py")) {
                Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            List<String> cmd = new ArrayList<>(List.of(python.toString(), script.toString()));
            cmd.addAll(packages);
            List<String> out = new ArrayList<>();
            Processes.Result r = Processes.run(cmd, Map.of("PYTHONDONTWRITEBYTECODE", "1"), null,
                    Duration.ofMinutes(2), out::add);
            if (r.code() != 0 || out.isEmpty()) {
                throw new IOException(python + " could not run its probe (exit " + r.code() + "): "
                        + String.join(" / ", r.tail()));
            }
            PythonProbe p = JSON.readValue(out.get(out.size() - 1), PythonProbe.class);
            probe = p;
            return p;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException(python + " does not exist", e);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            Files.deleteIfExists(script);
        }
    }

    /** @return the last probe's answer, if any (managed environments record one when created) */
    public java.util.Optional<PythonProbe> knownProbe() {
        return java.util.Optional.ofNullable(probe);
    }

    @Override
    public String toString() {
        return (managed ? "managed environment " : "") + python;
    }
}

package dev.koder.training.core;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
import dev.koder.training.api.Violation;
import dev.koder.training.core.internal.Json;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.MethodKind;
import dev.koder.training.spi.RunContext;
import dev.koder.training.spi.RunnerCapabilities;
import dev.koder.training.spi.TrainingRunner;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A runner for tests: launches fake_trainer.py (a real Python process speaking the events protocol). Its
 * behaviour comes from the spec's metadata keys starting with {@code fake.}, passed on in the JSON args file.
 */
final class ScriptRunner implements TrainingRunner {

    static final Path SCRIPT = script();

    private final String name;
    private final Set<MethodKind> methods;

    ScriptRunner() {
        this("script", allMethods());
    }

    ScriptRunner(String name, Set<MethodKind> methods) {
        this.name = name;
        this.methods = methods;
    }

    static Set<MethodKind> allMethods() {
        Set<MethodKind> all = new java.util.HashSet<>();
        for (Objective o : Objective.values()) {
            for (AdapterType a : AdapterType.values()) {
                all.add(new MethodKind(o, a));
            }
        }
        return all;
    }

    private static Path script() {
        try {
            return Path.of(ScriptRunner.class.getResource("/trainer/fake_trainer.py").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public RunnerCapabilities capabilities() {
        return new RunnerCapabilities(methods, EnumSet.allOf(DatasetFormat.class), true, true);
    }

    @Override
    public List<Violation> check(JobSpec spec) {
        List<Violation> v = new ArrayList<>();
        if ("true".equals(spec.metadata().get("fake.refuse"))) {
            v.add(new Violation("/metadata/fake.refuse", "runner 'script' refuses this spec on request"));
        }
        return v;
    }

    @Override
    public LaunchPlan prepare(JobSpec spec, RunContext ctx) throws IOException {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("workdir", ctx.workdir().toString());
        args.put("events_file", ctx.eventsFile().toString());
        args.put("output_dir", ctx.outputDir().toString());
        Integer steps = spec.hyperparameters().maxSteps();
        args.put("total_steps", steps == null ? 10 : steps);
        args.put("checkpoint_every", spec.checkpoints().everySteps());
        args.put("resume_from", ctx.resumeFrom().map(Path::toString).orElse(null));
        Map<String, String> behaviour = new LinkedHashMap<>();
        spec.metadata().forEach((k, val) -> {
            if (k.startsWith("fake.")) {
                behaviour.put(k.substring(5), val);
            }
        });
        args.put("behaviour", behaviour);
        Path argsFile = ctx.workdir().resolve("args-" + ctx.attempt() + ".json");
        Files.writeString(argsFile, Json.writePretty(args));
        return new LaunchPlan(List.of("python3", "-u", SCRIPT.toString(), argsFile.toString()),
                Map.of("PYTHONUNBUFFERED", "1"), ctx.workdir(), ctx.stdout(), ctx.stderr());
    }
}

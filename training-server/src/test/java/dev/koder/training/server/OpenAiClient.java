package dev.koder.training.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.python.ManagedEnvironments;
import dev.koder.training.spi.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;

/**
 * The official openai Python SDK, in a virtualenv of its own made once per user cache from the package index
 * (pinned in openai-requirements.txt), for tests that speak to the server as OpenAI's clients do.
 */
final class OpenAiClient {

    private static Path python;

    private OpenAiClient() {
    }

    static synchronized Path python() throws IOException, InterruptedException {
        if (python != null) {
            return python;
        }
        List<String> pins;
        try (InputStream in = OpenAiClient.class.getResourceAsStream("openai-requirements.txt")) {
            pins = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::trim)
                    .filter(l -> !l.isEmpty()).toList();
        }
        Path dir = ManagedEnvironments.cacheRoot(null).resolveSibling("openai-client-" + String.join("-", pins)
                .replace("==", "-"));
        Path py = dir.resolve("bin/python");
        if (!Files.isExecutable(py) || run(List.of(py.toString(), "-c", "import openai, jsonschema"), Map.of())
                .code() != 0) {
            Run venv = run(List.of("python3", "-m", "venv", "--clear", dir.toString()), Map.of());
            assertThat(venv.code()).as("python3 -m venv (install python3-venv): " + venv.output()).isZero();
            List<String> pip = new java.util.ArrayList<>(List.of(py.toString(), "-m", "pip", "install", "-q"));
            pip.addAll(pins);
            Run installed = run(pip, Map.of("PIP_RETRIES", "0", "PIP_DISABLE_PIP_VERSION_CHECK", "1"));
            assertThat(installed.code()).as("pip install " + pins + " (the openai SDK and jsonschema from the package "
                    + "index): " + installed.output()).isZero();
        }
        python = py;
        return py;
    }

    record Run(int code, String output) {
    }

    static Run run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /**
     * Runs a script of this package's test resources with the SDK and parses the JSON report it prints last.
     *
     * @param script the resource name
     * @param args its arguments, written to a JSON file
     * @param work a scratch folder
     * @return the report
     */
    static JsonNode script(String script, Map<String, Object> args, Path work) throws IOException,
            InterruptedException {
        Path file = work.resolve(script);
        try (InputStream in = OpenAiClient.class.getResourceAsStream(script)) {
            Files.write(file, in.readAllBytes());
        }
        Path argsFile = work.resolve(script + ".args.json");
        Files.writeString(argsFile, Json.write(args));
        Run r = run(List.of(python().toString(), file.toString(), argsFile.toString()), Map.of());
        assertThat(r.code()).as(r.output()).isZero();
        String last = r.output().strip().lines().reduce((a, b) -> b).orElse("");
        return Json.MAPPER.readTree(last);
    }
}

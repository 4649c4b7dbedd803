package dev.koder.training.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.koder.training.spi.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/**
 * The command run in-process with the scripted test runner found through ServiceLoader, on the bundled
 * example specs and data.
 */
class CliTest {

    static final Path EXAMPLES = Path.of("../examples").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
        JsonNode json() {
            return Json.MAPPER.readTree(out);
        }
    }

    Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    String home() {
        return dir.resolve("home").toString();
    }

    Path spec(String name, String json) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, json);
        return p;
    }

    @Test
    void help_listsEveryCommand() {
        Result r = run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("validate ", "validate-data", "estimate", "submit", "jobs", "status", "events",
                "cancel", "pause", "resume", "worker", "checkpoints", "quota", "pool", "plot", "axolotl-config");
    }

    @Test
    void everyCommand_answersHelp_withItsUsageAndTheExitCodes() {
        List<List<String>> commands = new ArrayList<>();
        collect(new CommandLine(new Main()), new ArrayList<>(), commands);
        assertThat(commands).contains(List.of("estimate"), List.of("checkpoints", "export"), List.of("quota", "set"));
        for (List<String> command : commands) {
            for (String flag : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(command);
                args.add(flag);
                Result r = run(args.toArray(String[]::new));
                assertThat(r.code()).as(args + ": " + r.err()).isZero();
                assertThat(r.out()).as(String.join(" ", args)).startsWith("Usage: training " + String.join(" ",
                        command)).contains("Exit codes: 0 success");
            }
        }
    }

    private static void collect(CommandLine cl, List<String> path, List<List<String>> into) {
        for (Map.Entry<String, CommandLine> sub : cl.getSubcommands().entrySet()) {
            List<String> command = new ArrayList<>(path);
            command.add(sub.getKey());
            if (!sub.getKey().equals("help")) {
                into.add(command);
            }
            collect(sub.getValue(), command, into);
        }
    }

    @Test
    void models_listWhatATenantMayName_asTextAndJson() throws Exception {
        Result none = run("models", "--tenant", "acme", "--home", home());
        assertThat(none.code()).as(none.err()).isZero();
        assertThat(none.out()).startsWith("No model is available to acme: set training.models.roots");
        Result badTenant = run("models", "--tenant", "../acme", "--home", home());
        assertThat(badTenant.code()).isEqualTo(2);
        assertThat(badTenant.err()).startsWith("--tenant: tenant must be 1-64 letters");

        Path roots = dir.resolve("roots");
        for (String m : List.of("tiny-llama", "meta/llama-tiny")) {
            Files.writeString(Files.createDirectories(roots.resolve(m)).resolve("config.json"), "{}");
        }
        Files.writeString(dir.resolve("home").resolve("training.properties"), "training.models.roots=" + roots
                + "\n");
        Result text = run("models", "--tenant", "acme", "--home", home());
        assertThat(text.code()).as(text.err()).isZero();
        assertThat(text.out().lines()).element(0).asString().startsWith("MODEL").contains("SOURCE", "CREATED");
        assertThat(text.out()).containsPattern("meta/llama-tiny +model_root +\\d{4}-\\d\\d-\\d\\d ")
                .containsPattern("tiny-llama +model_root").doesNotContain(roots.toString());
        Result json = run("models", "--tenant", "acme", "--home", home(), "--json");
        assertThat(json.json().at("/models/0/id").asString()).isEqualTo("meta/llama-tiny");
        assertThat(json.json().at("/models/1/source").asString()).isEqualTo("model_root");
    }

    @Test
    void axolotlConfig_writesTheConfigAndDataAJobWouldUse_withPathsThatWorkFromTheFolder() throws Exception {
        Path out = dir.resolve("axolotl");
        Result r = run("axolotl-config", EXAMPLES.resolve("specs/qlora.json").toString(), "--out", out.toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("config.yml: axolotl 0.18.0 config for sft+qlora on cuda").contains("data/train.jsonl");
        String yaml = Files.readString(out.resolve("config.yml"));
        assertThat(yaml).contains("adapter: qlora").contains("load_in_4bit: true").contains("path: ./data/train.jsonl")
                .contains("output_dir: ./output").contains("training_axolotl.TrainingEventsPlugin");
        assertThat(out.resolve("training_axolotl.py")).exists();
        assertThat(out.resolve("training_events.py")).exists();
        assertThat(out.resolve("failure-causes.json")).as("the cause table the events module reads").exists();
        assertThat(Files.readAllLines(out.resolve("data/train.jsonl"))).hasSize(Files.readAllLines(
                EXAMPLES.resolve("data/shout-train.jsonl")).size());
        Result cpu = run("axolotl-config", EXAMPLES.resolve("specs/sft-lora.json").toString(), "--out",
                dir.resolve("cpu").toString(), "--device", "cpu", "--json");
        assertThat(cpu.json().at("/axolotl/lora_mlp_kernel").asBoolean(true)).isFalse();
        assertThat(cpu.json().at("/axolotl/attn_implementation").asString()).isEqualTo("eager");
    }

    @Test
    void validate_everyExampleSpec_isValid() {
        for (String name : new String[] {"sft-lora", "qlora", "sft-full", "dpo"}) {
            Result r = run("validate", EXAMPLES.resolve("specs/" + name + ".json").toString(), "--home", home());
            assertThat(r.code()).as(name + ": " + r.out() + r.err()).isZero();
            assertThat(r.out()).contains(": valid").contains("460 examples");
        }
    }

    @Test
    void validate_withTheTrlRunner_refusesQloraOnAHostWithoutCuda() {
        String before = System.getProperty("training.runner");
        System.setProperty("training.runner", "trl");
        try {
            Result qlora = run("validate", EXAMPLES.resolve("specs/qlora.json").toString(), "--home", home());
            assertThat(qlora.code()).isEqualTo(2);
            assertThat(qlora.out()).contains(": 1 problem").contains("/method/adapter: qlora needs bitsandbytes and "
                    + "a CUDA GPU");
            Result lora = run("validate", EXAMPLES.resolve("specs/sft-lora.json").toString(), "--home", home());
            assertThat(lora.code()).as(lora.out()).isZero();
        } finally {
            if (before == null) {
                System.clearProperty("training.runner");
            } else {
                System.setProperty("training.runner", before);
            }
        }
    }

    @Test
    void validate_anEmbeddingSpec_getsTheSentenceTransformersRunner_andTheLanguageModelRunnersRefuseIt()
            throws Exception {
        Path model = Files.createDirectories(dir.resolve("bert"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\":\"bert\",\"hidden_size\":64,"
                + "\"num_hidden_layers\":2,\"num_attention_heads\":2,\"intermediate_size\":256,\"vocab_size\":100}");
        Files.writeString(dir.resolve("pairs.jsonl"), "{\"anchor\":\"cheap flights\",\"positive\":\"Low fares\"}\n"
                .repeat(4));
        String json = "{\"name\":\"emb\",\"tenant\":\"acme\",\"base_model\":\"" + model + "\","
                + "\"method\":{\"objective\":\"embedding\",\"adapter\":\"lora\"},\"resources\":{\"gpus\":0},"
                + "\"training_data\":{\"path\":\"pairs.jsonl\",\"format\":\"pairs\"}}";
        String before = System.getProperty("training.runner");
        System.setProperty("training.runner", "");  // the SDK's choice among every runner on the class path
        Result chosen;
        try {
            chosen = run("validate", spec("embedding.json", json).toString(), "--home", home());
        } finally {
            if (before == null) {
                System.clearProperty("training.runner");
            } else {
                System.setProperty("training.runner", before);
            }
        }
        assertThat(chosen.code()).as(chosen.out() + chosen.err()).isZero();
        assertThat(chosen.out()).contains("runner: sentence-transformers (trains embedding and reranker models")
                .contains("4 examples, 8 texts");
        Result trl = run("validate", spec("embedding-trl.json", json.replace("\"resources\"",
                "\"runner\":\"trl\",\"resources\"")).toString(), "--home", home());
        assertThat(trl.code()).isEqualTo(2);
        assertThat(trl.out() + trl.err()).contains("/method/objective: runner 'trl' does not train objective "
                + "embedding (it trains dpo, sft); embedding and reranker jobs are trained by runner "
                + "'sentence-transformers'");
    }

    @Test
    void validate_aBadSpec_listsEveryViolation_andExits2() throws Exception {
        Path bad = spec("bad.json", "{\"name\":\"x y\",\"tenant\":\"acme\",\"base_model\":\"org/m\","
                + "\"method\":{\"objective\":\"sft\",\"adapter\":\"lora\",\"lora\":{\"rank\":0}},"
                + "\"training_data\":{\"path\":\"t.jsonl\",\"format\":\"chat\"},\"colour\":1}");
        Result r = run("validate", bad.toString(), "--home", home());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Invalid job spec " + bad + " (3 problems):")
                .contains("/name: must be 1-64 letters").contains("/method/lora/rank: must be between 1 and 1024, got 0")
                .contains("/colour: unknown key");
        Result json = run("validate", bad.toString(), "--home", home(), "--json");
        assertThat(json.code()).isEqualTo(2);
        assertThat(json.json().at("/error/type").asString()).isEqualTo("invalid_spec");
        assertThat(json.json().at("/error/violations")).hasSize(3);
        assertThat(json.json().at("/error/violations/1/pointer").asString()).isEqualTo("/method/lora/rank");
    }

    @Test
    void validate_aSpecWhoseDataIsBroken_namesFileAndLine() throws Exception {
        Path data = dir.resolve("d.jsonl");
        Files.writeString(data, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n");
        Path s = spec("s.json", Files.readString(EXAMPLES.resolve("specs/sft-full.json"))
                .replace("../data/shout-train.jsonl", data.toString()));
        Result r = run("validate", s.toString(), "--home", home());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).contains(s + ": 1 problem").contains(data + ":1: error: /messages: no assistant message");
    }

    @Test
    void validateData_checksAFile_inTextAndJson() throws Exception {
        Result ok = run("validate-data", EXAMPLES.resolve("data/shout-prefs.jsonl").toString(), "--format",
                "preference");
        assertThat(ok.code()).isZero();
        assertThat(ok.out()).contains("valid preference data").contains("460 examples");

        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\":\"a\"}\nnot json\n");
        Result r = run("validate-data", bad.toString(), "--format", "prompt-completion", "--json");
        assertThat(r.code()).isEqualTo(2);
        JsonNode report = r.json();
        assertThat(report.get("valid").asBoolean()).isFalse();
        assertThat(report.get("errors").asInt()).isEqualTo(2);
        assertThat(report.at("/issues/1/line").asInt()).isEqualTo(2);

        Result exact = run("validate-data", EXAMPLES.resolve("data/shout-test.jsonl").toString(), "--format", "chat",
                "--model", Path.of("../training-core/src/test/resources/tokenizer").toString());
        assertThat(exact.out()).contains("exact, model tokenizer");

        Path one = dir.resolve("one.jsonl");
        Files.writeString(one, "{\"prompt\":\"a\",\"completion\":\"b\"}\n");
        Result single = run("validate-data", one.toString(), "--format", "prompt-completion");
        assertThat(single.code()).as(single.out() + single.err()).isZero();
        assertThat(single.out()).as("counts of one read in the singular").contains(": 1 example, 2 messages, ")
                .contains(" characters, ").doesNotContain("1 examples");
        Result oneError = run("validate-data", bad.toString(), "--format", "prompt-completion");
        assertThat(oneError.out()).startsWith(bad + ": 2 errors");
    }

    @Test
    void validateData_anUnknownFormat_isAUsageError() {
        Result r = run("validate-data", "x.jsonl", "--format", "csv");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("must be one of chat, prompt-completion, preference, alpaca, pairs, "
                + "scored-pairs, groups, got \"csv\"");
    }

    @Test
    void submit_followsTheJobToTheEnd_thenJobsStatusEventsShowIt() throws Exception {
        Path s = spec("job.json", Files.readString(EXAMPLES.resolve("specs/sft-lora.json"))
                .replace("../data/", EXAMPLES.resolve("data") + "/")
                .replace("\"epochs\": 3", "\"max_steps\": 5"));
        Result r = run("submit", s.toString(), "--home", home());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("submitted: sft+lora of HuggingFaceTB/SmolLM2-135M-Instruct")
                .contains("queued:").contains("succeeded: output in").contains("status      succeeded");
        Matcher m = Pattern.compile("(ftjob-[0-9a-z]+)").matcher(r.out());
        assertThat(m.find()).isTrue();
        String id = m.group(1);

        Result jobs = run("jobs", "--home", home());
        assertThat(jobs.out()).contains(id).contains("succeeded").contains("step 5/5");
        Result jobsJson = run("jobs", "--home", home(), "--json", "--status", "succeeded,failed");
        assertThat(jobsJson.json().at("/items/0/id").asString()).isEqualTo(id);

        assertThat(run("status", id, "--home", home()).out()).containsPattern("outcome +estimated [^,]+, took [^(]+\\(x");
        Result history = run("estimate", "--history", "--home", home());
        assertThat(history.code()).isZero();
        assertThat(history.out()).contains("sft+lora").contains("H100").contains("(n=1)");
        assertThat(run("estimate", "--history", "--home", home(), "--json").json().at("/groups/0/jobs").asInt())
                .isEqualTo(1);
        Result status = run("status", id, "--home", home(), "--json");
        assertThat(status.json().get("status").asString()).isEqualTo("succeeded");
        assertThat(status.json().at("/spec/name").asString()).isEqualTo("shout-sft-lora");

        Result events = run("events", id, "--home", home(), "--limit", "3");
        assertThat(events.out()).contains("submitted by examples").contains("More: --after 3");
        Result eventsJson = run("events", id, "--home", home(), "--json", "--after", "3");
        assertThat(eventsJson.json().at("/items/0/seq").asInt()).isEqualTo(4);

        Result cancel = run("cancel", id, "--home", home());
        assertThat(cancel.code()).isEqualTo(2);
        assertThat(cancel.err()).contains("already succeeded; there is nothing to cancel");

        Path png = dir.resolve("plots/curves.png");
        Result plot = run("plot", id, "--home", home(), "--out", png.toString());
        assertThat(plot.code()).as(plot.out() + plot.err()).isZero();
        assertThat(plot.out()).contains(png.toString()).contains("loss");
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isEqualTo(1000);
        assertThat(img.getHeight()).isEqualTo(800);
        assertThat(Files.list(png.getParent())).as("no partial file left").containsExactly(png);
        Result series = run("plot", id, "--home", home(), "--json");
        assertThat(series.json().at("/series/loss")).hasSize(5);
        assertThat(series.json().at("/series/loss/4/0").asDouble()).isEqualTo(5.0);
        assertThat(run("plot", id, "--home", home(), "--size", "10x10").code()).isEqualTo(2);
    }

    @Test
    void submit_detached_thenCancel_thenAFailedJobExits1() throws Exception {
        Path s = spec("job.json", Files.readString(EXAMPLES.resolve("specs/dpo.json"))
                .replace("../data/", EXAMPLES.resolve("data") + "/").replace("\"epochs\": 1", "\"max_steps\": 3"));
        Result detached = run("submit", s.toString(), "--home", home(), "--detach", "--json");
        assertThat(detached.code()).isZero();
        String id = detached.json().get("id").asString();
        assertThat(detached.json().get("status").asString()).isEqualTo("queued");
        Result cancel = run("cancel", id, "--home", home(), "--json");
        assertThat(cancel.json().get("status").asString()).isEqualTo("cancelled");
        // pause and resume keep the job's id (no worker runs here: the job waits, queued)
        String held = run("submit", s.toString(), "--home", home(), "--detach", "--json").json().get("id").asString();
        assertThat(run("pause", held, "--home", home(), "--json").json().get("status").asString())
                .isEqualTo("paused");
        assertThat(run("pause", held, "--home", home()).out()).contains(held + ": paused");
        Result again = run("resume", held, "--home", home(), "--detach", "--json");
        assertThat(again.code()).as(again.out() + again.err()).isZero();
        assertThat(again.json().get("id").asString()).isEqualTo(held);
        assertThat(again.json().get("status").asString()).isEqualTo("queued");
        assertThat(run("cancel", held, "--home", home(), "--json").json().get("status").asString())
                .isEqualTo("cancelled");

        Path failing = spec("fail.json", Files.readString(s).replace("\"tier\": \"pro\"",
                "\"tier\": \"pro\", \"metadata\": {\"fake.fail_at_step\": \"1\", \"fake.error_kind\": \"dataset\"}"));
        Result r = run("submit", failing.toString(), "--home", home());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("failure     dataset: simulated dataset at step 1");

        Path stoppable = spec("stop.json", Files.readString(s).replace("\"max_steps\": 3", "\"max_steps\": 200")
                .replace("\"tier\": \"pro\"", "\"tier\": \"pro\", \"metadata\": {\"fake.step_seconds\": \"0.05\"}"));
        Result started = run("submit", stoppable.toString(), "--home", home(), "--detach", "--json");
        String running = started.json().get("id").asString();
        try (dev.koder.training.core.Training worker = dev.koder.training.core.Training.builder()
                .home(Path.of(home())).build()) {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (worker.jobs().get(running).progress().step() == null && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            int threads = Runtime.getRuntime().availableProcessors();
            assertThat(run("pool", "--home", home()).out()).contains("local: 1 GPU, 1 in use")
                    .contains(running + " (examples)").contains("CPU: 1 job at a time (training.max-concurrent-jobs), "
                            + threads + (threads == 1 ? " CPU thread" : " CPU threads") + " each; 0 running");
            assertThat(run("status", running, "--home", home()).out()).contains("placement   local, GPU 0");
            JsonNode pool = run("pool", "--home", home(), "--json").json();
            assertThat(pool.at("/nodes/0/gpus/0/job").asString()).isEqualTo(running);
            assertThat(pool.at("/cpu/slots").asInt()).isEqualTo(1);
            assertThat(pool.at("/cpu/threads_per_job").asInt()).isEqualTo(threads);
            assertThat(run("cancel", running, "--home", home()).out()).contains("cancellation requested");
            worker.jobs().await(running, java.time.Duration.ofSeconds(60));
        }
        Result resumed = run("resume", running, "--home", home(), "--detach", "--json");
        assertThat(resumed.code()).as(resumed.out() + resumed.err()).isZero();
        assertThat(resumed.json().get("resumed_from").asString()).isEqualTo(running);
    }

    @Test
    void estimate_explainsTheCost_andQuotasRefuseWhatTheBudgetCannotCover() throws Exception {
        Path s = spec("job.json", Files.readString(EXAMPLES.resolve("specs/sft-lora.json"))
                .replace("../data/", EXAMPLES.resolve("data") + "/"));
        Result estimate = run("estimate", s.toString(), "--home", home());
        assertThat(estimate.code()).as(estimate.out() + estimate.err()).isZero();
        assertThat(estimate.out()).contains(s + ": ").contains("on 1 x H100, ")
                .contains("tokens: 460 examples").contains("parameters: 134,5").contains("published config")
                .contains("GPU-hours: 1 GPU x").contains("= 2.56 GiB of 80 GiB (H100): fits")
                // the spec leaves micro-steps to a token budget, which this home's runner counts in examples
                .contains("recipe: micro-batch 4 x accumulation 4 = batch 16 (micro_batch_tokens auto: runner script "
                        + "counts micro-steps in examples)")
                .contains("recipe: gradient checkpointing off (auto: the peak without it, 2.6 GiB, is within 85% of "
                        + "the GPU's 80 GiB").contains("padding 0.0%").doesNotContain("-0.0%");
        JsonNode json = run("estimate", s.toString(), "--home", home(), "--json").json();
        double hours = json.get("gpu_hours").asDouble();
        assertThat(hours).isPositive();
        assertThat(json.get("fits").asBoolean()).isTrue();

        Result negative = run("quota", "set", "examples", "-1", "--home", home());
        assertThat(negative.code()).isEqualTo(2);
        assertThat(negative.err()).contains("GPU_HOURS must be a number of 0 or more, got '-1'");
        // no budget is kept for a tenant no spec could name
        Result nameless = run("quota", "set", "ex amples", "3", "--home", home());
        assertThat(nameless.code()).isEqualTo(2);
        assertThat(nameless.err()).contains("tenant must be 1-64 letters, digits");
        assertThat(run("quota", "show", "--home", home(), "--json").out()).doesNotContain("ex amples");
        assertThat(run("quota", "set", "examples", String.valueOf(hours / 2), "--home", home()).code()).isZero();
        Result refused = run("submit", s.toString(), "--home", home(), "--detach");
        assertThat(refused.code()).as(refused.out() + refused.err()).isEqualTo(3);
        assertThat(refused.err()).contains("error: Tenant examples's GPU-hour budget is exceeded: the job needs ");
        assertThat(run("submit", s.toString(), "--home", home(), "--detach", "--json").json().at("/error/type")
                .asString()).isEqualTo("quota_exceeded");
        assertThat(run("jobs", "--home", home()).out()).isEqualTo("No jobs." + System.lineSeparator());

        assertThat(run("quota", "set", "examples", String.valueOf(hours * 3), "--home", home()).code()).isZero();
        Result queued = run("submit", s.toString(), "--home", home(), "--detach", "--json");
        assertThat(queued.code()).isZero();
        String id = queued.json().get("id").asString();
        assertThat(queued.json().at("/estimate/gpu_hours").asDouble()).isCloseTo(hours, within(hours * 0.01));
        assertThat(run("status", id, "--home", home()).out()).contains("estimate ").contains("GPU-h");
        Result show = run("quota", "show", "--home", home(), "--json");
        assertThat(show.json().at("/0/tenant").asString()).isEqualTo("examples");
        assertThat(show.json().at("/0/reserved_gpu_hours").asDouble()).isCloseTo(hours, within(hours * 0.01));
        assertThat(show.json().at("/0/remaining_gpu_hours").asDouble()).isCloseTo(2 * hours, within(hours * 0.02));
        assertThat(run("quota", "show", "--home", home()).out()).contains("TENANT").contains("examples");
        assertThat(run("quota", "clear", "examples", "--home", home()).out()).contains("not limited");
        assertThat(run("quota", "show", "examples", "--home", home()).out()).contains("unlimited");
    }

    @Test
    void checkpoints_listShowApproveDeprecateDownloadExport() throws Exception {
        Path s = spec("job.json", Files.readString(EXAMPLES.resolve("specs/sft-lora.json"))
                .replace("../data/", EXAMPLES.resolve("data") + "/")
                .replace("\"epochs\": 3", "\"max_steps\": 4"));
        Result r = run("submit", s.toString(), "--home", home());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        Result list = run("checkpoints", "list", "--home", home(), "--stage", "draft");
        assertThat(list.out()).contains("ID").contains("draft").contains("final").contains("examples")
                .contains("HuggingFaceTB/SmolLM2-135M-Instruct");
        JsonNode page = run("checkpoints", "list", "--home", home(), "--json").json();
        String id = null;
        for (JsonNode c : page.get("items")) {
            if (c.get("final").asBoolean()) {
                id = c.get("id").asString();
            }
        }
        assertThat(id).startsWith("ckpt-");

        Result show = run("checkpoints", "show", id, "--home", home());
        assertThat(show.out()).contains(id + "  draft").contains("peft_adapter, LORA rank 4 alpha 8 on q_proj, v_proj")
                .contains("adapter_model.safetensors").contains("sha256 ").contains("spec sha256 ")
                .contains("data " + EXAMPLES.resolve("data/shout-train.jsonl")).contains("  draft  by training: final output");

        Result noReason = run("checkpoints", "approve", id, "--home", home());
        assertThat(noReason.code()).isEqualTo(2);
        assertThat(noReason.err()).contains("Missing required option: '--reason=TEXT'");
        Path settings = dir.resolve("home").resolve("training.properties");
        Files.writeString(settings, "training.approval.other-approver=true\ntraining.approval.require=eval_bleu\n",
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        Result gate = run("checkpoints", "gate", id, "--home", home());
        assertThat(gate.code()).as("refused by the submitter himself: " + gate.out() + gate.err()).isEqualTo(1);
        assertThat(gate.out()).contains("the approval gate refuses it for " + CheckpointsCommand.defaultActor())
                .contains("FAILED other-approver: " + CheckpointsCommand.defaultActor() + " submitted job ")
                .contains("FAILED require.eval_bleu: eval_bleu is missing (it has ");
        Result refused = run("checkpoints", "approve", id, "--reason", "looks right", "--actor", "alice", "--home",
                home(), "--json");
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.json().at("/error/type").asString()).isEqualTo("approval_refused");
        assertThat(refused.json().at("/error/message").asString()).contains("require.eval_bleu: eval_bleu is missing")
                .doesNotContain("other-approver:");
        Result approve = run("checkpoints", "approve", id, "--reason", "looks right", "--actor", "alice", "--override",
                "--home", home());
        assertThat(approve.out()).isEqualTo("Checkpoint " + id + " is approved (alice: looks right)."
                + System.lineSeparator());
        assertThat(run("checkpoints", "show", id, "--home", home()).out())
                .contains("approved  by alice OVERRIDING THE APPROVAL GATE: looks right")
                .contains("passed other-approver: alice approves what " + CheckpointsCommand.defaultActor())
                .contains("FAILED require.eval_bleu");
        Files.delete(settings);
        Result again = run("checkpoints", "approve", id, "--reason", "twice", "--home", home(), "--json");
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.json().at("/error/type").asString()).isEqualTo("illegal_checkpoint_state");
        assertThat(run("checkpoints", "show", id, "--home", home(), "--json").json().at("/history/1/actor").asString())
                .isEqualTo("alice");

        Path to = dir.resolve("deploy");
        Result download = run("checkpoints", "download", id, "--to", to.toString(), "--home", home());
        assertThat(download.code()).as(download.err()).isZero();
        assertThat(download.out()).contains("Downloaded " + id + " to " + to + ": 2 files")
                .contains("every size and SHA-256 verified");
        assertThat(to.resolve("adapter_model.safetensors")).exists();

        Path served = dir.resolve("serve");
        Result export = run("checkpoints", "export", id, "--to", served.toString(), "--home", home());
        assertThat(export.code()).as(export.err()).isZero();
        assertThat(export.out()).contains("Exported " + id + " to " + served + ": peft adapter, 3 files")
                .contains("Manifest: training-export.json, sha256 ");
        assertThat(served.resolve("README.md")).content().contains("Stage at export: **approved**")
                .contains("by `alice`, `looks right`; an admin override of 1 failed gate rule (`require.eval_bleu`)");
        JsonNode exported = run("checkpoints", "export", id, "--to", dir.resolve("serve-again").toString(), "--home",
                home(), "--json").json();
        assertThat(exported.get("manifest_sha256").asString()).as("the same bytes again")
                .isEqualTo(export.out().replaceAll("(?s).*sha256 ([0-9a-f]{64}).*", "$1"));
        assertThat(run("checkpoints", "show", id, "--home", home()).out()).contains("to " + served + ": adapter, 3 files, "
                + "manifest sha256 " + exported.get("manifest_sha256").asString());
        Result taken = run("checkpoints", "export", id, "--to", served.toString(), "--home", home());
        assertThat(taken.code()).isEqualTo(2);
        assertThat(taken.err()).contains("--to: The export folder " + served + " is not empty");

        JsonNode files = run("checkpoints", "show", id, "--home", home(), "--json").json().at("/checkpoint/files");
        String sha = files.get(1).get("sha256").asString();
        Path blob = dir.resolve("home/blobs").resolve(sha.substring(0, 2)).resolve(sha);
        byte[] b = Files.readAllBytes(blob);
        b[b.length - 1] ^= 1;
        Files.write(blob, b);
        Result corrupt = run("checkpoints", "download", id, "--to", dir.resolve("again").toString(), "--home", home());
        assertThat(corrupt.code()).isEqualTo(1);
        assertThat(corrupt.err()).contains("Download of checkpoint " + id + " failed at adapter_model.safetensors")
                .contains("is corrupt");
        assertThat(dir.resolve("again/adapter_model.safetensors")).doesNotExist();

        Result deprecate = run("checkpoints", "deprecate", id, "--reason", "superseded", "--home", home());
        assertThat(deprecate.out()).contains("is deprecated");
        Result unknown = run("checkpoints", "show", "ckpt-nope", "--home", home());
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("No checkpoint with id 'ckpt-nope'");
    }

    @Test
    void unknownJob_andUnusableHome_areClearErrors() throws Exception {
        Result unknown = run("status", "ftjob-nope", "--home", home());
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).isEqualTo("error: No job with id 'ftjob-nope'" + System.lineSeparator());

        Path file = dir.resolve("a-file");
        Files.writeString(file, "x");
        Result badHome = run("jobs", "--home", file.toString());
        assertThat(badHome.code()).isEqualTo(1);
        assertThat(badHome.err()).contains("Cannot use " + file + " as the home directory: it is a file");

        Path corrupt = dir.resolve("corrupt");
        Files.createDirectories(corrupt);
        Files.writeString(corrupt.resolve("training.db"), "garbage that is not a database");
        Result badDb = run("jobs", "--home", corrupt.toString(), "--json");
        assertThat(badDb.code()).isEqualTo(1);
        assertThat(badDb.json().at("/error/type").asString()).isEqualTo("storage");
        assertThat(Files.readString(corrupt.resolve("training.db"))).isEqualTo("garbage that is not a database");
    }
}

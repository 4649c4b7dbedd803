package dev.koder.training.trl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointExport;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobStatus;
import dev.koder.training.core.Training;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Export for serving on a real TRL LoRA job: the adapter as PEFT files, and the base with the adapter merged in, each
 * with a model card and a manifest of SHA-256s; both repeat byte for byte, and the merged model's logits equal the
 * adapter model's, checked here apart from the merge's own check.
 */
class CheckpointExportTest {

    @TempDir
    Path dir;

    @Test
    void export_adapterAndMerged_repeatByteForByte_andTheMergedLogitsEqualTheAdapters() throws Exception {
        TinyWorld w = TinyWorld.get();
        // a base of this test's own, so it can change it at the end
        Path base = copyTree(w.model, dir.resolve("base"));
        try (Training t = Training.builder().home(dir.resolve("home")).runner(w.runner)
                .pollInterval(Duration.ofMillis(100)).build()) {
            Job job = t.jobs().await(t.jobs().submit(w.sft(12).baseModel(base.toString()).build()).id(),
                    Duration.ofMinutes(5));
            assertThat(job.status()).as(String.valueOf(job.failure())).isEqualTo(JobStatus.SUCCEEDED);
            Checkpoint output = t.checkpoints().list(CheckpointQuery.builder().jobId(job.id()).build()).items()
                    .stream().filter(Checkpoint::last).findFirst().orElseThrow();
            t.checkpoints().approve(output.id(), "reviewer", "good enough to serve");

            CheckpointExport adapter = t.checkpoints().export(output.id(), dir.resolve("adapter"), false, n -> { });
            CheckpointExport again = t.checkpoints().export(output.id(), dir.resolve("adapter-again"), false, n -> { });
            assertThat(adapter.merged()).isFalse();
            assertThat(tree(dir.resolve("adapter"))).as("the adapter export, twice")
                    .isEqualTo(tree(dir.resolve("adapter-again"))).containsKeys("adapter_config.json",
                            "adapter_model.safetensors", CheckpointExport.CARD, CheckpointExport.MANIFEST)
                    .doesNotContainKeys("training_args.bin", "optimizer.pt", "trainer_state.json");
            assertThat(again.manifestSha256()).isEqualTo(adapter.manifestSha256());
            assertManifestTrue(dir.resolve("adapter"), adapter);
            String card = Files.readString(dir.resolve("adapter").resolve(CheckpointExport.CARD));
            assertThat(card).contains(output.id(), job.id(), "Stage at export: **approved**",
                    output.lineage().specHash(), output.lineage().datasets().get(TinyWorld.TRAIN.toString()),
                    "draft -> approved by `reviewer`, `good enough to serve`", "AutoPeftModelForCausalLM");
            assertThat(Files.readAllBytes(dir.resolve("adapter/adapter_model.safetensors")))
                    .as("the adapter's weights are the job's output").isEqualTo(Files.readAllBytes(
                            Path.of(job.output()).resolve("adapter_model.safetensors")));

            CheckpointExport merged = t.checkpoints().export(output.id(), dir.resolve("merged"), true, n -> { });
            t.checkpoints().export(output.id(), dir.resolve("merged-again"), true, n -> { });
            assertThat(merged.merged()).isTrue();
            Map<String, String> files = tree(dir.resolve("merged"));
            assertThat(files).as("the merged export, twice").isEqualTo(tree(dir.resolve("merged-again")))
                    .containsKeys("config.json", "model.safetensors", "tokenizer_config.json", CheckpointExport.CARD)
                    .doesNotContainKeys("adapter_config.json", "adapter_model.safetensors");
            assertManifestTrue(dir.resolve("merged"), merged);
            // safetensors writes the merged weights for their owner alone; serving, often another user, reads them
            assertThat(Files.getPosixFilePermissions(dir.resolve("merged/model.safetensors")))
                    .isEqualTo(Files.getPosixFilePermissions(Files.createFile(dir.resolve("new-file"))));
            assertThat(merged.merge().dtype()).isEqualTo("float32");
            assertThat(merged.merge().maxAbsDiff()).isLessThanOrEqualTo(merged.merge().tolerance());
            assertThat(Files.readString(dir.resolve("merged").resolve(CheckpointExport.CARD)))
                    .contains("## Merge check", "AutoModelForCausalLM.from_pretrained");

            // apart from the merge's own check: the merged folder alone against the base with the exported adapter
            assertMergedEqualsAdapter(w, base, dir.resolve("adapter"), dir.resolve("merged"));

            // a second job continues from the first's checkpoint, by its id: the chain is in the registry and the
            // card, and its merge goes through the chain to the first base
            Job second = t.jobs().await(t.jobs().submit(w.sft(6).baseModel(output.id()).build()).id(),
                    Duration.ofMinutes(5));
            assertThat(second.status()).as(String.valueOf(second.failure())).isEqualTo(JobStatus.SUCCEEDED);
            Checkpoint continued = t.checkpoints().list(CheckpointQuery.builder().jobId(second.id()).build())
                    .items().stream().filter(Checkpoint::last).findFirst().orElseThrow();
            assertThat(continued.lineage().parent()).isEqualTo(output.id());
            assertThat(t.checkpoints().ancestry(continued.id())).extracting(Checkpoint::id)
                    .containsExactly(continued.id(), output.id());
            CheckpointExport next = t.checkpoints().export(continued.id(), dir.resolve("merged-2"), true, n -> { });
            assertThat(next.merge().base()).isEqualTo(base.toString());
            t.checkpoints().export(continued.id(), dir.resolve("adapter-2"), false, n -> { });
            assertThat(Files.readString(dir.resolve("merged-2").resolve(CheckpointExport.CARD)))
                    .contains("- Parent checkpoint: `" + output.id() + "`", "- Chain, newest first: `"
                            + continued.id() + "` (job `" + second.id() + "`, step 6) <- `" + output.id() + "`");
            assertMergedEqualsAdapter(w, base, dir.resolve("adapter-2"), dir.resolve("merged-2"));

            // an export never writes into a folder that holds something, and leaves nothing behind
            Path taken = Files.createDirectories(dir.resolve("taken"));
            Files.writeString(taken.resolve("keep.txt"), "mine");
            assertThatThrownBy(() -> t.checkpoints().export(output.id(), taken, false, n -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not empty");
            assertThat(tree(taken)).containsOnlyKeys("keep.txt");

            // the base changed since training: merging into it is refused, and no folder appears
            Files.writeString(base.resolve("config.json"), Files.readString(base.resolve("config.json")) + "\n");
            assertThatThrownBy(() -> t.checkpoints().export(output.id(), dir.resolve("stale"), true, n -> { }))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("has changed since it was trained");
            assertThat(dir.resolve("stale")).doesNotExist();
            try (Stream<Path> left = Files.list(dir)) {
                assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".export-"));
            }
        }
    }

    /** Loads the merged folder alone, and the base with the exported adapter, and compares their logits. */
    private void assertMergedEqualsAdapter(TinyWorld w, Path base, Path adapter, Path merged) throws Exception {
        TinyWorld.Ran ran = w.python(dir, List.of(
                "import sys, torch",
                "from transformers import AutoModelForCausalLM",
                "from peft import PeftModel",
                "base, adapter, merged = sys.argv[1:4]",
                "plain = AutoModelForCausalLM.from_pretrained(base).eval()",
                "tuned = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), adapter).eval()",
                "whole = AutoModelForCausalLM.from_pretrained(merged).eval()",
                "ids = torch.randint(0, whole.config.vocab_size, (2, 40), generator=torch.Generator().manual_seed(1))",
                "with torch.no_grad():",
                "    p, a, m = (x(input_ids=ids).logits for x in (plain, tuned, whole))",
                "print('MERGED', float((m - a).abs().max()), 'TUNED', float((a - p).abs().max()))"),
                base.toString(), adapter.toString(), merged.toString());
        assertThat(ran.code()).as(ran.output()).isZero();
        String[] figures = ran.output().lines().filter(l -> l.startsWith("MERGED")).findFirst().orElseThrow()
                .split(" ");
        double mergedDiff = Double.parseDouble(figures[1]);
        double tunedDiff = Double.parseDouble(figures[3]);
        System.out.printf("%s: merged vs adapter logits: max |diff| %.3g; adapter vs base: %.3g%n",
                merged.getFileName(), mergedDiff, tunedDiff);
        assertThat(tunedDiff).as("the fine-tune changed the base's logits").isGreaterThan(0.1);
        assertThat(mergedDiff).as("the merged logits equal the adapter's").isLessThan(1e-3);
    }

    /** The manifest names every other file in the folder, with its true size and SHA-256, and the checkpoint. */
    private static void assertManifestTrue(Path folder, CheckpointExport export) throws IOException {
        JsonNode manifest = JsonMapper.builder().build().readTree(Files.readString(folder.resolve(
                CheckpointExport.MANIFEST)));
        assertThat(manifest.path("format").asString()).isEqualTo("training-export/1");
        assertThat(manifest.path("checkpoint").path("id").asString()).isEqualTo(export.checkpointId());
        Map<String, String> listed = new TreeMap<>();
        for (JsonNode f : manifest.path("files")) {
            listed.put(f.path("path").asString(), f.path("sha256").asString());
            assertThat(f.path("size").asLong()).isEqualTo(Files.size(folder.resolve(f.path("path").asString())));
        }
        Map<String, String> onDisk = tree(folder);
        onDisk.remove(CheckpointExport.MANIFEST);
        assertThat(listed).isEqualTo(onDisk);
        assertThat(export.files()).hasSize(listed.size());
    }

    /** Every file under a folder, by relative path, with its SHA-256. */
    private static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                try {
                    out.put(root.relativize(p).toString(), HexFormat.of().formatHex(
                            MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return out;
    }

    private static Path copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }
}

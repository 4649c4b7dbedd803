package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.AvailableModel;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.InvalidSpecException;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobNotFoundException;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.RetrievalData;
import dev.koder.training.api.Tier;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.api.Uploads;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tenant's view sees and touches its own objects only, and names base models by the tenant rules. */
class TenantViewTest {

    @TempDir
    Path dir;

    private JobSpec spec(String model, Path data) {
        return spec(model, DatasetRef.of(data, DatasetFormat.CHAT));
    }

    private JobSpec spec(String model, DatasetRef data) {
        return JobSpec.builder().name("iso").tenant("whoever").tier(Tier.ENTERPRISE).baseModel(model)
                .method(TrainingMethod.sftLora()).trainingData(data).build();
    }

    @Test
    void modelPaths_outsideTheRoots_getOneAnswer_andNothingIsStored() throws Exception {
        Path roots = Files.createDirectories(dir.resolve("models"));
        Path model = Files.createDirectories(roots.resolve("tiny"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\":\"llama\"}");
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("config.json"), "{\"model_type\":\"llama\"}");
        Files.createSymbolicLink(roots.resolve("escape"), outside);
        Path data = dir.resolve("train.jsonl");
        Files.writeString(data, Fixtures.CHAT);
        try (Training training = Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner())
                .property(ModelPolicy.ROOTS_PROPERTY, roots.toString()).pollInterval(Duration.ofMillis(50)).build()) {
            TenantView globex = training.tenant("globex", Tier.FREE);
            Job theirs = globex.jobs().submit(spec("tiny", data));
            Job done = globex.jobs().await(theirs.id(), Duration.ofSeconds(60));
            assertThat(done.spec().tenant()).isEqualTo("globex");
            assertThat(done.spec().tier()).isEqualTo(Tier.FREE);
            assertThat(globex.fineTunedModel(done)).isEqualTo("ft:tiny:globex:iso:" + done.id());

            TenantView acme = training.tenant("acme", Tier.PRO);
            String home = training.home().toString();
            List<String> attacks = List.of(home + "/jobs/" + done.id() + "/output/final", home, "/etc",
                    roots + "/../outside", "../outside", roots.resolve("escape").toString(), "escape",
                    outside.toString(), done.id(), globex.fineTunedModel(done), "ckpt-nosuch");
            for (String attack : attacks) {
                assertThatThrownBy(() -> acme.jobs().submit(spec(attack, data))).as(attack)
                        .isInstanceOf(InvalidSpecException.class)
                        .satisfies(e -> assertThat(((InvalidSpecException) e).violations()).singleElement()
                                .satisfies(v -> assertThat(v.message()).isEqualTo(ModelPolicy.REFUSED)));
            }
            // not even a valid spec: refused by the spec's own rule before any lookup
            assertThatThrownBy(() -> acme.jobs().submit(spec("tiny/../../outside", data)))
                    .isInstanceOf(InvalidSpecException.class);
            // globex's own checkpoints are out of acme's reach by id too
            String ckpt = training.checkpoints().list(CheckpointQuery.builder().jobId(done.id()).limit(10).build())
                    .items().get(0).id();
            assertThatThrownBy(() -> acme.jobs().submit(spec(ckpt, data))).isInstanceOf(InvalidSpecException.class);
            assertThat(acme.jobs().list(JobQuery.builder().limit(100).build()).items()).isEmpty();
            assertThatThrownBy(() -> acme.jobs().get(done.id())).isInstanceOf(JobNotFoundException.class);
            assertThat(acme.checkpoints().list(CheckpointQuery.builder().limit(100).build()).items()).isEmpty();
            assertThat(acme.checkpoints().approved("globex", done.spec().baseModel())).isEmpty();

            // the owner continues from its own fine-tune by its ft: name; lineage records the parent
            Job next = globex.jobs().submit(spec(globex.fineTunedModel(done), data));
            Job nextDone = globex.jobs().await(next.id(), Duration.ofSeconds(60));
            assertThat(globex.publicModel(nextDone.spec().baseModel())).as("shown as the model it continues")
                    .isEqualTo(globex.fineTunedModel(done));
            assertThat(training.checkpoints().list(CheckpointQuery.builder().jobId(next.id()).limit(10).build())
                    .items()).allSatisfy(c -> assertThat(c.lineage().parent()).isNotNull());
        }
    }

    @Test
    void models_listWhatTheTenantMayName_eachOfWhichItsJobsAccept() throws Exception {
        Path roots = Files.createDirectories(dir.resolve("models"));
        // a spec names a root's model as NAME or ORG/NAME: a deeper folder is not one to list
        for (String m : List.of("tiny", "org/base", "a/b/c", ".hidden/m", "ckpt-lookalike", "has space")) {
            Files.writeString(Files.createDirectories(roots.resolve(m)).resolve("config.json"), "{}");
        }
        Files.createDirectories(roots.resolve("empty"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("config.json"), "{}");
        Files.createSymbolicLink(roots.resolve("escape"), outside);
        Files.createSymbolicLink(roots.resolve("alias"), roots.resolve("tiny"));
        Path data = dir.resolve("train.jsonl");
        Files.writeString(data, Fixtures.CHAT);
        try (Training training = Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner())
                .property(ModelPolicy.ROOTS_PROPERTY, roots.toString()).pollInterval(Duration.ofMillis(50)).build()) {
            TenantView globex = training.tenant("globex", Tier.FREE);
            Job done = globex.jobs().await(globex.jobs().submit(spec("org/base", data)).id(), Duration.ofSeconds(60));
            String fineTuned = globex.fineTunedModel(done);

            // the hub cache is this machine's (ModelPolicyTest lists one of its own)
            List<AvailableModel> theirs = globex.models().stream()
                    .filter(m -> m.source() != AvailableModel.Source.HUB_CACHE).toList();
            assertThat(theirs).extracting(AvailableModel::id).containsExactly("alias", fineTuned, "org/base",
                    "tiny");
            assertThat(theirs).filteredOn(m -> m.id().equals(fineTuned)).singleElement()
                    .satisfies(m -> assertThat(m.source()).isEqualTo(AvailableModel.Source.FINE_TUNED));
            assertThat(theirs).filteredOn(m -> m.id().equals("tiny")).singleElement()
                    .satisfies(m -> assertThat(m.source()).isEqualTo(AvailableModel.Source.MODEL_ROOT));
            assertThat(theirs).allSatisfy(m -> assertThat(m.id()).doesNotContain(dir.toString()));
            for (AvailableModel m : globex.models()) {
                assertThat(globex.validate(spec(m.id(), data)).valid()).as(m.id()).isTrue();
            }
            // another tenant sees the roots, not globex's fine-tune
            assertThat(training.tenant("acme", Tier.PRO).models()).extracting(AvailableModel::id)
                    .contains("tiny").doesNotContain(fineTuned);
        }
    }

    @Test
    void aRetrievalSet_isTheTenantsOwnFiles_neverAnotherTenantsUploadNorTheHome() throws Exception {
        Path roots = Files.createDirectories(dir.resolve("models"));
        Path model = Files.createDirectories(roots.resolve("tiny"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\":\"bert\"}");
        Path pairs = dir.resolve("pairs.jsonl");
        Files.writeString(pairs, "{\"anchor\":\"q\",\"positive\":\"d\"}\n");
        try (Training training = Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner())
                .property(ModelPolicy.ROOTS_PROPERTY, roots.toString()).pollInterval(Duration.ofMillis(50)).build()) {
            TenantView globex = training.tenant("globex", Tier.FREE);
            String theirs = globex.files().upload("queries.jsonl", Uploads.FINE_TUNE, new java.io.ByteArrayInputStream(
                    "{\"id\":\"q1\",\"text\":\"secret\"}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                    1 << 20).id();
            TenantView acme = training.tenant("acme", Tier.PRO);
            JobSpec.Builder embedding = JobSpec.builder().name("iso").tenant("whoever").baseModel("tiny")
                    .method(TrainingMethod.embeddingLora()).trainingData(DatasetRef.of(pairs, DatasetFormat.PAIRS));
            String home = training.home().toString();
            record Attack(RetrievalData data, String pointer) {
            }
            for (Attack a : List.of(new Attack(RetrievalData.files(theirs, pairs.toString(), pairs.toString()),
                            "/retrieval_data/queries"),
                    new Attack(RetrievalData.files(pairs.toString(), home + "/files/" + theirs + ".jsonl",
                            pairs.toString()), "/retrieval_data/corpus"),
                    new Attack(RetrievalData.folder(home + "/files"), "/retrieval_data/path"),
                    new Attack(RetrievalData.folder(home + "/../home/jobs"), "/retrieval_data/path"))) {
                assertThatThrownBy(() -> acme.jobs().submit(embedding.retrievalData(a.data()).build())).as("%s", a)
                        .isInstanceOf(InvalidSpecException.class)
                        .satisfies(e -> assertThat(((InvalidSpecException) e).violations()).singleElement()
                                .satisfies(v -> assertThat(v.pointer()).isEqualTo(a.pointer())));
            }
            // the tenant's own view of the server (uploads only) takes no folder at all
            assertThatThrownBy(() -> acme.uploadsOnly().jobs().submit(embedding.retrievalData(RetrievalData.folder(
                    dir.toString())).build())).isInstanceOf(InvalidSpecException.class);
            assertThat(acme.jobs().list(JobQuery.builder().limit(10).build()).items()).isEmpty();
        }
    }

    @Test
    void everyCallOfAnotherTenantsView_answersAsForNothing_andChangesNothing() throws Exception {
        Path roots = Files.createDirectories(dir.resolve("models"));
        Files.writeString(Files.createDirectories(roots.resolve("tiny")).resolve("config.json"),
                "{\"model_type\":\"llama\"}");
        try (Training training = Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner())
                .property(ModelPolicy.ROOTS_PROPERTY, roots.toString()).pollInterval(Duration.ofMillis(50)).build()) {
            TenantView globex = training.tenant("globex", Tier.FREE);
            TenantView acme = training.tenant("acme", Tier.PRO);
            List<String> acmeHeard = new java.util.concurrent.CopyOnWriteArrayList<>();
            acme.jobs().addListener((j, e) -> acmeHeard.add(j.id()));
            var upload = globex.files().upload("train.jsonl", dev.koder.training.api.Uploads.FINE_TUNE,
                    new java.io.ByteArrayInputStream(Fixtures.CHAT.repeat(3).getBytes(
                            java.nio.charset.StandardCharsets.UTF_8)), 1 << 20);
            Job done = globex.jobs().await(globex.jobs().submit(spec("tiny", DatasetRef.of(upload.id(), DatasetFormat.CHAT))).id(),
                    Duration.ofSeconds(60));
            assertThat(done.status()).isEqualTo(dev.koder.training.api.JobStatus.SUCCEEDED);
            String ckpt = globex.checkpoints().list(CheckpointQuery.builder().jobId(done.id()).build()).items().get(0)
                    .id();
            String id = done.id();

            List<org.assertj.core.api.ThrowableAssert.ThrowingCallable> jobCalls = List.of(
                    () -> acme.jobs().get(id), () -> acme.jobs().events(id, 0, 10), () -> acme.jobs().cancel(id),
                    () -> acme.jobs().pause(id), () -> acme.jobs().resume(id),
                    () -> acme.jobs().await(id, Duration.ofSeconds(1)));
            for (var call : jobCalls) {
                assertThatThrownBy(call).isInstanceOf(JobNotFoundException.class).hasMessageContaining(id);
            }
            List<org.assertj.core.api.ThrowableAssert.ThrowingCallable> checkpointCalls = List.of(
                    () -> acme.checkpoints().get(ckpt), () -> acme.checkpoints().approve(ckpt, "mallory", "mine"),
                    () -> acme.checkpoints().deprecate(ckpt, "mallory", "mine"),
                    () -> acme.checkpoints().history(ckpt),
                    () -> acme.checkpoints().download(ckpt, dir.resolve("stolen"), n -> { }));
            for (var call : checkpointCalls) {
                assertThatThrownBy(call).isInstanceOf(dev.koder.training.api.CheckpointNotFoundException.class);
            }
            assertThat(dir.resolve("stolen")).doesNotExist();
            assertThat(acme.files().get(upload.id())).isEmpty();
            assertThat(acme.files().delete(upload.id())).isFalse();
            assertThat(acme.files().results(done)).isEmpty();
            assertThat(acme.files().list(null, false, null, 100).items()).isEmpty();
            assertThat(acme.jobs().list(JobQuery.builder().build()).items()).isEmpty();
            assertThat(acme.checkpoints().list(CheckpointQuery.builder().build()).items()).isEmpty();
            assertThat(acme.quota().tenant()).isEqualTo("acme");
            assertThat(acmeHeard).as("acme's listener hears none of globex's events").isEmpty();
            // a dataset of globex's, by id, is an unknown file to acme
            assertThatThrownBy(() -> acme.jobs().submit(spec("tiny", DatasetRef.of(upload.id(), DatasetFormat.CHAT))))
                    .isInstanceOf(InvalidSpecException.class);
            // globex's objects are as they were
            assertThat(globex.files().get(upload.id())).isPresent();
            assertThat(globex.checkpoints().get(ckpt).stage().wireName()).isEqualTo("draft");
            assertThat(globex.jobs().get(id).status()).isEqualTo(dev.koder.training.api.JobStatus.SUCCEEDED);
        }
    }
}

package dev.koder.training.server;

import static dev.koder.training.server.Requests.json;

import dev.koder.training.api.AccessKeys.Principal;
import dev.koder.training.api.AccessKeys.Role;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointExport;
import dev.koder.training.api.CheckpointNotFoundException;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.CheckpointStage;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Evaluation;
import dev.koder.training.api.Page;
import dev.koder.training.api.PluginNotFoundException;
import dev.koder.training.api.StoredFile;
import dev.koder.training.api.WireName;
import dev.koder.training.core.TenantView;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The checkpoint registry over the caller's {@link TenantView}: its checkpoints, their lifecycle (approvers move
 * them), and their files, downloaded from a copy verified against the registry ({@link Downloads}).
 */
final class RegistryApi {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RegistryApi.class);

    private final TrainingServer server;
    private final Downloads downloads;

    RegistryApi(TrainingServer server, Downloads downloads) {
        this.server = server;
        this.downloads = downloads;
    }

    void routes(RoutesConfig r, Auth auth) {
        auth.route(r, HandlerType.GET, "/v1/native/checkpoints", Role.MEMBER, "the tenant's checkpoints (base_model, "
                + "stage, job_id, after, limit)", this::listRegistry);
        auth.route(r, HandlerType.GET, "/v1/native/checkpoints/{id}", Role.MEMBER, "a checkpoint",
                ctx -> json(ctx, checkpointView(ctx, checkpoint(ctx))));
        auth.route(r, HandlerType.GET, "/v1/native/checkpoints/{id}/files", Role.MEMBER, "a checkpoint's files",
                ctx -> {
                    Checkpoint c = checkpoint(ctx);
                    json(ctx, Map.of("id", c.id(), "files", c.files()));
                });
        auth.route(r, HandlerType.GET, "/v1/native/checkpoints/{id}/files/<path>", Role.MEMBER, "one file of a "
                + "checkpoint, verified, with its SHA-256 (Range supported)", this::download);
        auth.route(r, HandlerType.GET, "/v1/native/checkpoints/{id}/history", Role.MEMBER, "a checkpoint's audit "
                + "trail: registration and every stage move, with the approval gate's rules and overrides",
                ctx -> json(ctx, Map.of("id", checkpoint(ctx).id(), "items", tenant(ctx).checkpoints()
                        .history(ctx.pathParam("id")))));
        auth.route(r, HandlerType.GET, "/v1/native/checkpoints/{id}/ancestry", Role.MEMBER, "the chain a "
                + "checkpoint continues, newest first: itself, its parent, and so on", ctx -> json(ctx, Map.of("id",
                        checkpoint(ctx).id(), "items", tenant(ctx).checkpoints().ancestry(ctx.pathParam("id"))
                                .stream().map(c -> checkpointView(ctx, c)).toList())));
        auth.route(r, HandlerType.GET, "/v1/native/checkpoints/{id}/evaluations", Role.MEMBER, "a checkpoint's "
                + "evaluations on demand, oldest first", ctx -> json(ctx, Map.of("id", checkpoint(ctx).id(), "items",
                        tenant(ctx).checkpoints().evaluations(ctx.pathParam("id")).stream()
                                .map(e -> evaluationView(ctx, e)).toList())));
        auth.route(r, HandlerType.POST, "/v1/native/checkpoints/{id}/evaluations", Role.MEMBER, "score a checkpoint "
                + "and its base model on one of the tenant's uploaded files (\"file\"; \"format\" defaults to the "
                + "file's); answers when the scoring is done", this::evaluate);
        auth.route(r, HandlerType.GET, "/v1/native/checkpoints/{id}/exports", Role.MEMBER, "the exports for serving "
                + "written of a checkpoint, oldest first: merged or not, the manifest's SHA-256, files, bytes, when",
                ctx -> json(ctx, Map.of("id", checkpoint(ctx).id(), "items", tenant(ctx).checkpoints()
                        .exports(ctx.pathParam("id")).stream().map(e -> exportView(ctx, e)).toList())));
        auth.route(r, HandlerType.GET, "/v1/native/checkpoints/{id}/gate", Role.MEMBER, "what the approval gate "
                + "decides if the caller approved it now", ctx -> json(ctx, tenant(ctx).checkpoints()
                        .gate(checkpoint(ctx).id(), Auth.principal(ctx).name())));
        auth.route(r, HandlerType.POST, "/v1/native/checkpoints/{id}/approve", Role.APPROVER, "approve a draft the "
                + "approval gate allows (409 approval_refused names the failed rules); an admin may send "
                + "\"override\": true to approve it anyway, recorded with the reason", ctx -> transition(ctx, true));
        auth.route(r, HandlerType.POST, "/v1/native/checkpoints/{id}/deprecate", Role.APPROVER, "deprecate a "
                + "checkpoint", ctx -> transition(ctx, false));
    }

    private TenantView tenant(Context ctx) {
        return server.tenant(ctx);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> checkpointView(Context ctx, Checkpoint c) {
        TenantView t = tenant(ctx);
        Map<String, Object> tree = ServerJson.MAPPER.convertValue(c, Map.class);
        tree.put("base_model", t.publicModel(c.baseModel()));
        if (tree.get("lineage") instanceof Map<?, ?> lineage && lineage.get("datasets") instanceof Map<?, ?> d) {
            Map<String, Object> byId = new LinkedHashMap<>();
            d.forEach((k, v) -> byId.put(OpenAiJobs.fileId(String.valueOf(k)), v));
            ((Map<String, Object>) lineage).put("datasets", byId);
        }
        tree.remove("blob_store");
        return (Map<String, Object>) server.redactor(t).tree(tree);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> evaluationView(Context ctx, Evaluation e) {
        Map<String, Object> tree = ServerJson.MAPPER.convertValue(e, Map.class);
        tree.put("data", OpenAiJobs.fileId(e.data()));
        return (Map<String, Object>) server.redactor(tenant(ctx)).tree(tree);
    }

    /** An export as a tenant sees it: everything but the folder, which is a path on the server. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> exportView(Context ctx, CheckpointExport e) {
        Map<String, Object> tree = ServerJson.MAPPER.convertValue(e, Map.class);
        tree.remove("dir");
        tree.remove("files");
        tree.put("files", e.files().size());
        tree.put("bytes", e.size());
        if (tree.get("merge") instanceof Map<?, ?> m) {
            ((Map<String, Object>) m).remove("base");
        }
        return (Map<String, Object>) server.redactor(tenant(ctx)).tree(tree);
    }

    private void evaluate(Context ctx) {
        Checkpoint c = checkpoint(ctx);
        JsonNode body = Requests.body(ctx);
        String file = body.path("file").asString(null);
        if (file == null || file.isBlank()) {
            throw ApiError.badRequest("file", "Missing required parameter: 'file' (the id of one of your uploaded "
                    + "files)");
        }
        TenantView t = tenant(ctx);
        StoredFile stored = t.files().get(file).orElseThrow(() -> ApiError.notFound("file", "No file found with id "
                + file.replaceAll("\\p{Cntrl}", "?")));
        DatasetFormat format = stored.format();
        String named = body.path("format").asString(null);
        if (named != null) {
            try {
                format = WireName.parse(DatasetFormat.class, named);
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("format", e.getMessage());
            }
        }
        Evaluation e;
        try {
            e = t.checkpoints().evaluate(c.id(), DatasetRef.of(stored.path(), format), Auth.principal(ctx).name(),
                    line -> LOG.info("evaluation of {}: {}", c.id(), line));
        } catch (IllegalArgumentException | IllegalStateException | PluginNotFoundException bad) {
            throw ApiError.badRequest(null, server.redactor(t).text(bad.getMessage()));
        }
        json(ctx, evaluationView(ctx, e));
    }

    private void listRegistry(Context ctx) {
        CheckpointQuery.Builder q = CheckpointQuery.builder().baseModel(ctx.queryParam("base_model"))
                .jobId(ctx.queryParam("job_id")).after(Requests.after(ctx, "ckpt-")).limit(Requests.limit(ctx, 100,
                        1000));
        String stage = ctx.queryParam("stage");
        if (stage != null) {
            try {
                q.stage(dev.koder.training.api.WireName.parse(CheckpointStage.class, stage));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("stage", "stage must be draft, approved or deprecated, got '"
                        + stage.replaceAll("\\p{Cntrl}", "?") + "'");
            }
        }
        Page<Checkpoint> page = tenant(ctx).checkpoints().list(q.build());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", page.items().stream().map(c -> checkpointView(ctx, c)).toList());
        out.put("next_cursor", page.nextCursor());
        json(ctx, out);
    }

    private Checkpoint checkpoint(Context ctx) {
        String id = ctx.pathParam("id");
        try {
            return tenant(ctx).checkpoints().get(id);
        } catch (CheckpointNotFoundException e) {
            throw ApiError.notFound("checkpoint_id", "No checkpoint found with id " + id);
        }
    }

    private void download(Context ctx) throws IOException {
        Checkpoint c = checkpoint(ctx);
        String path = ctx.pathParam("path");
        Checkpoint.File f = c.files().stream().filter(x -> x.path().equals(path)).findFirst().orElseThrow(() ->
                ApiError.notFound("path", "Checkpoint " + c.id() + " has no file " + path));
        Path copy = downloads.verifiedCopy(tenant(ctx).checkpoints(), c).resolve(f.path());
        Downloads.send(ctx, copy, f.size(), f.sha256(), "application/octet-stream");
    }

    private void transition(Context ctx, boolean approve) {
        Principal p = Auth.principal(ctx);
        Checkpoint c = checkpoint(ctx);
        JsonNode body = Requests.body(ctx);
        String reason = body.path("reason").asString(null);
        if (reason == null || reason.isBlank()) {
            throw ApiError.badRequest("reason", "Missing required parameter: 'reason'");
        }
        boolean override = approve && body.path("override").asBoolean(false);
        if (override && !p.role().includes(Role.ADMIN)) {
            throw ApiError.forbidden("Overriding the approval gate needs an admin key; this key is "
                    + p.role().wireName() + ".");
        }
        Checkpoint moved = !approve ? tenant(ctx).checkpoints().deprecate(c.id(), p.name(), reason)
                : override ? tenant(ctx).checkpoints().approveOverriding(c.id(), p.name(), reason)
                : tenant(ctx).checkpoints().approve(c.id(), p.name(), reason);
        json(ctx, checkpointView(ctx, moved));
    }
}

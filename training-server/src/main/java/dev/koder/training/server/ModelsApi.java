package dev.koder.training.server;

import static dev.koder.training.server.Requests.json;

import dev.koder.training.api.AccessKeys.Role;
import dev.koder.training.api.AvailableModel;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's models API over the caller's view: the models it may name as a job's {@code model}, by those names (hub
 * ids in the server's cache, the model roots' folders, its own fine-tunes); never a server path or another
 * tenant's fine-tune.
 */
final class ModelsApi {

    /** Who OpenAI says owns a model not made by a tenant. */
    static final String SYSTEM = "system";

    private final TrainingServer server;

    ModelsApi(TrainingServer server) {
        this.server = server;
    }

    void routes(RoutesConfig r, Auth auth) {
        auth.route(r, HandlerType.GET, "/v1/models", Role.MEMBER, "the models the tenant may fine-tune: hub ids in "
                + "the server's cache, the model roots' folders, its own fine-tunes", ctx -> {
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("object", "list");
                    out.put("data", server.tenant(ctx).models().stream().map(m -> view(ctx, m)).toList());
                    json(ctx, out);
                });
        auth.route(r, HandlerType.GET, "/v1/models/<model>", Role.MEMBER, "one of those models", ctx ->
                json(ctx, view(ctx, visible(ctx))));
        auth.route(r, HandlerType.DELETE, "/v1/models/<model>", Role.MEMBER, "refused: fine-tunes are deprecated in "
                + "the registry, never deleted", ctx -> {
                    AvailableModel m = visible(ctx);
                    ctx.header("Allow", "GET");
                    throw new ApiError(405, "invalid_request_error", "method_not_allowed", "model", "This server "
                            + "does not delete models, so that no checkpoint's weights or audit trail are lost. "
                            + (m.source() == AvailableModel.Source.FINE_TUNED ? "To retire '" + m.id() + "', "
                            + "deprecate its checkpoint: POST /v1/native/checkpoints/{id}/deprecate with an "
                            + "approver's key and a reason (GET /v1/native/checkpoints?job_id=JOB gives the id)."
                            : "'" + m.id() + "' is not a fine-tune of yours; the server's operators manage it."));
                });
    }

    /** @return the model the path names, when the caller may name it; else model_not_found, as for no model */
    private AvailableModel visible(Context ctx) {
        // an org/name id comes with its slash as it is or encoded (%2F), as the openai client sends it
        String id = ctx.pathParam("model");
        List<AvailableModel> models = server.tenant(ctx).models();
        return models.stream().filter(m -> m.id().equals(id)).findFirst().orElseThrow(() -> new ApiError(404,
                "invalid_request_error", "model_not_found", "model", "The model '" + id
                        + "' does not exist or you do not have access to it."));
    }

    private static Map<String, Object> view(Context ctx, AvailableModel m) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("id", m.id());
        o.put("object", "model");
        o.put("created", m.created().getEpochSecond());
        o.put("owned_by", m.source() == AvailableModel.Source.FINE_TUNED ? Auth.principal(ctx).tenant() : SYSTEM);
        o.put("source", m.source().wireName());
        return o;
    }
}

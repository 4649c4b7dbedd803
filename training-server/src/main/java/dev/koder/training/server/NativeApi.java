package dev.koder.training.server;

import static dev.koder.training.server.Requests.json;

import dev.koder.training.api.AccessKeys.Principal;
import dev.koder.training.api.AccessKeys.Role;
import dev.koder.training.api.InvalidSpecException;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobNotFoundException;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Page;
import dev.koder.training.core.TenantView;
import dev.koder.training.core.spec.JobSpecJson;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The native endpoints: whole job specs, estimates, the caller's quota and estimate history, the pool (admins).
 * Objects are shown as the tenant may see them: models by the names it knows, datasets by file id, no server path.
 */
final class NativeApi {

    private final TrainingServer server;

    NativeApi(TrainingServer server) {
        this.server = server;
    }

    void routes(RoutesConfig r, Auth auth) {
        auth.route(r, HandlerType.POST, "/v1/native/jobs", Role.MEMBER, "submit a whole job spec (datasets as file "
                + "ids)", ctx -> json(ctx, view(ctx, tenant(ctx).jobs().submit(spec(ctx),
                        Auth.principal(ctx).name()))));
        auth.route(r, HandlerType.POST, "/v1/native/estimate", Role.MEMBER, "estimate a spec (calibrated by the "
                + "tenant's own jobs)", ctx -> json(ctx, tenant(ctx).estimate(spec(ctx))));
        auth.route(r, HandlerType.GET, "/v1/native/jobs/{id}", Role.MEMBER, "a job, whole", ctx -> json(ctx,
                view(ctx, job(ctx))));
        auth.route(r, HandlerType.GET, "/v1/native/jobs", Role.MEMBER, "list the tenant's jobs, whole",
                ctx -> {
                    Page<Job> page = tenant(ctx).jobs().list(JobQuery.builder().after(Requests.after(ctx, "ftjob-"))
                            .limit(Requests.limit(ctx, 50, 1000)).build());
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("items", page.items().stream().map(j -> view(ctx, j)).toList());
                    out.put("next_cursor", page.nextCursor());
                    json(ctx, out);
                });
        auth.route(r, HandlerType.GET, "/v1/native/me", Role.MEMBER, "who the key is", ctx -> {
            Principal p = Auth.principal(ctx);
            json(ctx, Map.of("tenant", p.tenant(), "tier", p.tier().wireName(), "role", p.role().wireName(),
                    "name", p.name(), "key_id", p.keyId()));
        });
        auth.route(r, HandlerType.GET, "/v1/native/quota", Role.MEMBER, "the tenant's own GPU-hour budget and use",
                ctx -> json(ctx, tenant(ctx).quota()));
        auth.route(r, HandlerType.GET, "/v1/native/estimate-history", Role.MEMBER, "how far the tenant's estimates "
                + "were from what its jobs measured (limit)", ctx -> json(ctx, tenant(ctx).estimateHistory(
                        Requests.limit(ctx, 100, 1000))));
        auth.route(r, HandlerType.GET, "/v1/native/estimate-history/all", Role.ADMIN, "the same over every tenant's "
                + "jobs (limit)", ctx -> json(ctx, server.training().estimateHistory(Requests.limit(ctx, 100, 1000))));
        auth.route(r, HandlerType.GET, "/v1/native/pool", Role.ADMIN, "the GPU pool: nodes, utilisation, processes",
                ctx -> json(ctx, server.training().gpuPool()));
    }

    private TenantView tenant(Context ctx) {
        return server.tenant(ctx);
    }

    private JobSpec spec(Context ctx) {
        JsonNode body = Requests.body(ctx);
        try {
            JobSpec spec = JobSpecJson.parse(ServerJson.write(body));
            // Dataset paths name uploads by id; the tenant view refuses anything else.
            JobSpec.Builder b = spec.toBuilder().trainingData(byId(spec.trainingData()));
            spec.validationData().ifPresent(v -> b.validationData(byId(v)));
            return b.build();
        } catch (InvalidSpecException e) {
            throw TrainingServer.invalid(e);
        }
    }

    private static dev.koder.training.api.DatasetRef byId(dev.koder.training.api.DatasetRef ref) {
        String p = ref.path();
        int slash = p.lastIndexOf('/');
        String id = slash < 0 ? p : p.substring(slash + 1);
        return id.startsWith("file-") && !id.contains("\0") ? dev.koder.training.api.DatasetRef.of(id, ref.format())
                : ref;
    }

    private Job job(Context ctx) {
        String id = ctx.pathParam("id");
        try {
            return tenant(ctx).jobs().get(id);
        } catch (JobNotFoundException e) {
            throw ApiError.notFound("fine_tuning_job_id", "No fine-tuning job found with id " + id);
        }
    }

    /** The whole job as its tenant may see it. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> view(Context ctx, Job j) {
        TenantView t = tenant(ctx);
        Map<String, Object> tree = ServerJson.MAPPER.convertValue(j, Map.class);
        Map<String, Object> spec = (Map<String, Object>) tree.get("spec");
        spec.put("base_model", t.publicModel(j.spec().baseModel()));
        for (String key : List.of("training_data", "validation_data")) {
            if (spec.get(key) instanceof Map<?, ?> d) {
                ((Map<String, Object>) d).put("path", OpenAiJobs.fileId(String.valueOf(d.get("path"))));
            }
        }
        if (spec.get("retrieval_data") instanceof Map<?, ?> r) {
            for (String file : List.of("queries", "corpus", "judgements")) {
                if (r.get(file) != null) {
                    ((Map<String, Object>) r).put(file, OpenAiJobs.fileId(String.valueOf(r.get(file))));
                }
            }
        }
        Map<String, Object> out = (Map<String, Object>) server.redactor(t).tree(tree);
        if (j.status() == dev.koder.training.api.JobStatus.SUCCEEDED) {
            out.put("fine_tuned_model", t.fineTunedModel(j));
        }
        return out;
    }
}

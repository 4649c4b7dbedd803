package dev.koder.training.server;

import static dev.koder.training.server.Requests.json;

import dev.koder.training.api.AccessKeys.Role;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.IllegalJobStateException;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobNotFoundException;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Page;
import dev.koder.training.core.TenantView;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** OpenAI's fine-tuning jobs API over the caller's {@link TenantView}. */
final class JobsApi {

    private final TrainingServer server;
    private final int gpusPerJob;

    JobsApi(TrainingServer server, int gpusPerJob) {
        this.server = server;
        this.gpusPerJob = gpusPerJob;
    }

    void routes(RoutesConfig r, Auth auth) {
        auth.route(r, HandlerType.POST, "/v1/fine_tuning/jobs", Role.MEMBER, "create a job", this::create);
        auth.route(r, HandlerType.GET, "/v1/fine_tuning/jobs", Role.MEMBER, "list the tenant's jobs (after, limit, "
                + "metadata[k]=v)", this::list);
        auth.route(r, HandlerType.GET, "/v1/fine_tuning/jobs/{id}", Role.MEMBER, "a job",
                ctx -> json(ctx, view(ctx, job(ctx))));
        auth.route(r, HandlerType.POST, "/v1/fine_tuning/jobs/{id}/cancel", Role.MEMBER, "cancel a job (a running "
                + "one saves a checkpoint)", ctx -> json(ctx, view(ctx, tenant(ctx).jobs().cancel(job(ctx).id()))));
        auth.route(r, HandlerType.POST, "/v1/fine_tuning/jobs/{id}/pause", Role.MEMBER, "pause a job (a running one "
                + "saves a checkpoint; it keeps its id)", ctx -> json(ctx, view(ctx, tenant(ctx).jobs()
                        .pause(job(ctx).id()))));
        auth.route(r, HandlerType.POST, "/v1/fine_tuning/jobs/{id}/resume", Role.MEMBER, "resume a paused job under "
                + "its id", this::resume);
        auth.route(r, HandlerType.GET, "/v1/fine_tuning/jobs/{id}/events", Role.MEMBER, "a job's events, newest "
                + "first", this::events);
        auth.route(r, HandlerType.GET, "/v1/fine_tuning/jobs/{id}/checkpoints", Role.MEMBER, "a job's checkpoints",
                this::checkpoints);
    }

    private TenantView tenant(Context ctx) {
        return server.tenant(ctx);
    }

    private Map<String, Object> view(Context ctx, Job j) {
        return OpenAiJobs.job(j, tenant(ctx), server.redactor(tenant(ctx)));
    }

    private void create(Context ctx) {
        TenantView t = tenant(ctx);
        var spec = OpenAiJobs.spec(Requests.body(ctx), t, gpusPerJob);
        Job job;
        try {
            job = t.jobs().submit(spec, Auth.principal(ctx).name());
        } catch (dev.koder.training.api.InvalidSpecException e) {
            throw OpenAiJobs.invalid(e, "hyperparameters");
        }
        json(ctx, view(ctx, job));
    }

    private void resume(Context ctx) {
        Job j = job(ctx);
        // OpenAI resumes paused jobs only; a new job from a cancelled one is the native API's resume
        if (j.status() != JobStatus.PAUSED) {
            throw new IllegalJobStateException("Job " + j.id() + " is " + OpenAiJobs.status(j)
                    + "; only a paused job can be resumed.");
        }
        json(ctx, view(ctx, tenant(ctx).jobs().resume(j.id())));
    }

    private void list(Context ctx) {
        TenantView t = tenant(ctx);
        int limit = Requests.limit(ctx, 20, 100);
        Map<String, String> metadata = new LinkedHashMap<>();
        ctx.queryParamMap().forEach((k, v) -> {
            if (k.startsWith("metadata[") && k.endsWith("]") && !v.isEmpty()) {
                metadata.put(k.substring(9, k.length() - 1), v.get(0));
            } else if (!k.equals("after") && !k.equals("limit")) {
                throw ApiError.badRequest(k, "Unrecognized query parameter: " + k);
            }
        });
        String after = Requests.after(ctx, "ftjob-");
        List<Map<String, Object>> out = new ArrayList<>();
        boolean more;
        int pageSize = metadata.isEmpty() ? limit + 1 : 100;
        do {
            Page<Job> page = t.jobs().list(JobQuery.builder().after(after).limit(pageSize).build());
            for (Job j : page.items()) {
                if (j.spec().metadata().entrySet().containsAll(metadata.entrySet())) {
                    out.add(view(ctx, j));
                }
            }
            after = page.nextCursor();
            more = after != null;
        } while (more && out.size() <= limit);
        boolean hasMore = out.size() > limit || more;
        json(ctx, OpenAiJobs.list(out.size() > limit ? out.subList(0, limit) : out, hasMore));
    }

    Job job(Context ctx) {
        String id = ctx.pathParam("id");
        try {
            return tenant(ctx).jobs().get(id);
        } catch (JobNotFoundException e) {
            throw ApiError.notFound("fine_tuning_job_id", "No fine-tuning job found with id " + id);
        }
    }

    private void events(Context ctx) {
        Job j = job(ctx);
        int limit = Requests.limit(ctx, 20, 1000);
        String after = ctx.queryParam("after");
        long before = Long.MAX_VALUE;
        if (after != null) {
            before = OpenAiJobs.eventSeq(j.id(), after);
            if (before < 0) {
                throw ApiError.badRequest("after", "after must be an event id of this job");
            }
        }
        // Newest first, as OpenAI lists them: read forward, keep the last limit + 1 before the cursor.
        ArrayDeque<JobEvent> window = new ArrayDeque<>();
        long from = 0;
        Page<JobEvent> page;
        do {
            page = tenant(ctx).jobs().events(j.id(), from, 1000);
            for (JobEvent e : page.items()) {
                if (e.seq() >= before) {
                    break;
                }
                window.addLast(e);
                if (window.size() > limit + 1) {
                    window.removeFirst();
                }
                from = e.seq();
            }
        } while (page.nextCursor() != null && from < before - 1 && !page.items().isEmpty());
        List<JobEvent> newestFirst = new ArrayList<>(window);
        Collections.reverse(newestFirst);
        boolean hasMore = newestFirst.size() > limit;
        Redactor redactor = server.redactor(tenant(ctx));
        List<Map<String, Object>> data = newestFirst.stream().limit(limit).map(e -> OpenAiJobs.event(j, e, redactor))
                .toList();
        json(ctx, OpenAiJobs.list(data, hasMore));
    }

    private void checkpoints(Context ctx) {
        Job j = job(ctx);
        int limit = Requests.limit(ctx, 10, 100);
        Page<Checkpoint> page = tenant(ctx).checkpoints().list(CheckpointQuery.builder().jobId(j.id())
                .after(Requests.after(ctx, "ckpt-")).limit(limit).build());
        json(ctx, OpenAiJobs.list(page.items().stream().map(c -> OpenAiJobs.checkpoint(j, c, tenant(ctx))).toList(),
                page.nextCursor() != null));
    }
}

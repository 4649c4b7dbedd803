package dev.koder.training.server;

import static dev.koder.training.server.Requests.json;

import dev.koder.training.api.AccessKeys.Role;
import dev.koder.training.api.Page;
import dev.koder.training.api.StoredFile;
import dev.koder.training.api.Uploads;
import dev.koder.training.core.TenantFiles;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;

/** OpenAI's Files API: upload, list, retrieve, content, delete; a tenant sees its own files only. */
final class FilesApi {

    private final TrainingServer server;
    private final long maxUploadBytes;

    FilesApi(TrainingServer server, long maxUploadBytes) {
        this.server = server;
        this.maxUploadBytes = maxUploadBytes;
    }

    void routes(RoutesConfig r, Auth auth) {
        auth.route(r, HandlerType.POST, "/v1/files", Role.MEMBER, "upload a JSONL file (purpose fine-tune)",
                this::upload);
        auth.route(r, HandlerType.GET, "/v1/files", Role.MEMBER, "list the tenant's files (purpose, order, after, "
                + "limit)", this::list);
        auth.route(r, HandlerType.GET, "/v1/files/{id}", Role.MEMBER, "a file",
                ctx -> json(ctx, OpenAiJobs.file(file(ctx))));
        auth.route(r, HandlerType.GET, "/v1/files/{id}/content", Role.MEMBER, "a file's bytes (Range supported)",
                this::content);
        auth.route(r, HandlerType.DELETE, "/v1/files/{id}", Role.MEMBER, "delete a file", this::delete);
    }

    private TenantFiles files(Context ctx) {
        return server.tenant(ctx).files();
    }

    private void upload(Context ctx) {
        String type = ctx.contentType();
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            throw new ApiError(415, "invalid_request_error", "unsupported_media_type", null, "An upload must be "
                    + "multipart/form-data with the parts file and purpose" + (type == null ? "" : ", got " + type));
        }
        UploadedFile f;
        String purpose;
        try {
            f = ctx.uploadedFile("file");
            purpose = ctx.formParam("purpose");
        } catch (Exception e) {
            throw uploadError(e);
        }
        if (f == null) {
            throw ApiError.badRequest("file", "Missing required parameter: 'file' (a multipart part with the JSONL "
                    + "file)");
        }
        if (purpose == null) {
            throw ApiError.badRequest("purpose", "Missing required parameter: 'purpose' (fine-tune)");
        }
        try (InputStream in = f.content()) {
            json(ctx, OpenAiJobs.file(files(ctx).upload(f.filename(), purpose, in, maxUploadBytes)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the error for a multipart body the parser refused: too large (413), or malformed (400) */
    private ApiError uploadError(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (String.valueOf(t.getMessage()).contains("max length exceeded")) {
                return new ApiError(413, "invalid_request_error", "file_too_large", "file", "the file is larger than "
                        + "the " + maxUploadBytes + " bytes this server accepts");
            }
        }
        return ApiError.badRequest("file", "the upload is not a readable multipart/form-data body");
    }

    private void list(Context ctx) {
        int limit = Requests.limit(ctx, 10_000, 10_000);
        String order = ctx.queryParam("order");
        if (order != null && !order.equals("asc") && !order.equals("desc")) {
            throw ApiError.badRequest("order", "order must be asc or desc, got '" + order + "'");
        }
        String purpose = ctx.queryParam("purpose");
        if (purpose != null && !purpose.equals(Uploads.FINE_TUNE) && !purpose.equals(Uploads.RESULTS)) {
            throw ApiError.badRequest("purpose", "purpose must be " + Uploads.FINE_TUNE + " or "
                    + Uploads.RESULTS + " on this server, got '" + purpose + "'");
        }
        Page<StoredFile> page = files(ctx).list(purpose, "asc".equals(order), Requests.after(ctx, "file-"), limit);
        json(ctx, OpenAiJobs.list(page.items().stream().map(OpenAiJobs::file).toList(), page.nextCursor() != null));
    }

    private StoredFile file(Context ctx) {
        String id = ctx.pathParam("id");
        return files(ctx).get(id).orElseThrow(() -> ApiError.notFound("file_id", "No such File object: " + id));
    }

    private void content(Context ctx) throws IOException {
        StoredFile f = file(ctx);
        Downloads.send(ctx, f.path(), f.bytes(), f.sha256(), Uploads.RESULTS.equals(f.purpose()) ? "text/csv"
                : "application/jsonl");
    }

    private void delete(Context ctx) {
        StoredFile f = file(ctx);
        files(ctx).delete(f.id());
        json(ctx, java.util.Map.of("id", f.id(), "object", "file", "deleted", true));
    }
}

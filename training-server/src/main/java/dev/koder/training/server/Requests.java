package dev.koder.training.server;

import io.javalin.http.Context;
import tools.jackson.databind.JsonNode;

/** Reading requests the same way everywhere: bodies, limits, cursors. */
final class Requests {

    private Requests() {
    }

    /**
     * @param ctx a POST
     * @return its JSON body (an empty object for none)
     * @throws ApiError 415 when it has a body that is not {@code application/json}, 400 when it is not JSON
     */
    static JsonNode body(Context ctx) {
        String body = ctx.body();
        if (body.isBlank()) {
            return ServerJson.MAPPER.createObjectNode();
        }
        String type = ctx.contentType();
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new ApiError(415, "invalid_request_error", "unsupported_media_type", null, "The request body must be "
                    + "application/json" + (type == null ? " (no Content-Type was sent)" : ", got " + type));
        }
        try {
            JsonNode tree = ServerJson.MAPPER.readTree(body);
            if (tree == null || tree.isMissingNode()) {
                throw ApiError.badRequest(null, "The request body is not valid JSON");
            }
            return tree;
        } catch (RuntimeException e) {
            if (e instanceof ApiError a) {
                throw a;
            }
            throw ApiError.badRequest(null, "The request body is not valid JSON: " + String.valueOf(e.getMessage())
                    .lines().findFirst().orElse(""));
        }
    }

    static int limit(Context ctx, int dflt, int max) {
        String v = ctx.queryParam("limit");
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ApiError.badRequest("limit", "limit must be an integer from 1 to " + max + ", got '" + v + "'");
    }

    /**
     * @param ctx the request
     * @param prefix the id prefix a cursor of this list has ({@code ftjob-}, {@code ckpt-}, {@code file-})
     * @return the {@code after} cursor, or null
     * @throws ApiError 400 when it is not an id of this kind
     */
    static String after(Context ctx, String prefix) {
        String v = ctx.queryParam("after");
        if (v == null) {
            return null;
        }
        if (!v.startsWith(prefix) || !v.matches("[A-Za-z0-9_-]{1,80}")) {
            throw ApiError.badRequest("after", "after must be the id of an object of this list (" + prefix + "...), got '"
                    + v.replaceAll("\\p{Cntrl}", "?") + "'");
        }
        return v;
    }

    static void json(Context ctx, Object value) {
        ctx.contentType("application/json").result(ServerJson.write(value));
    }
}

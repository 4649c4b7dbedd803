package dev.koder.training.server;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request that fails, as OpenAI's API reports it: an HTTP status and {@code {"error": {"message", "type",
 * "param", "code"}}}, which the official SDKs turn into their typed errors (401 AuthenticationError, 404
 * NotFoundError, 400 BadRequestError, ...).
 */
public final class ApiError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final Map<String, Object> extra = new LinkedHashMap<>();

    ApiError(int status, String type, String code, String param, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    static ApiError badRequest(String param, String message) {
        return new ApiError(400, "invalid_request_error", null, param, message);
    }

    static ApiError notFound(String param, String message) {
        return new ApiError(404, "invalid_request_error", "not_found", param, message);
    }

    static ApiError unauthorized(String message) {
        return new ApiError(401, "invalid_request_error", "invalid_api_key", null, message);
    }

    static ApiError forbidden(String message) {
        return new ApiError(403, "invalid_request_error", "insufficient_permissions", null, message);
    }

    /**
     * @param key a field the error object carries beside OpenAI's four (for example {@code gate})
     * @param value its value, as JSON
     * @return this error
     */
    ApiError with(String key, Object value) {
        extra.put(key, value);
        return this;
    }

    /** @return the HTTP status */
    public int status() {
        return status;
    }

    /** @return the envelope's body */
    public Map<String, Object> body() {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("message", getMessage());
        e.put("type", type);
        e.put("param", param);
        e.put("code", code);
        e.putAll(extra);
        return Map.of("error", e);
    }
}

package dev.koder.training.server;

import dev.koder.training.api.AccessKeys.Principal;
import dev.koder.training.api.AccessKeys.Role;
import dev.koder.training.api.AccessKeys;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Who a request comes from, and what each endpoint lets a role do. Every {@code /v1} request is authenticated
 * against the database, so a revoked key is refused from the next request on, whichever process revoked it. The
 * roles table is {@link #table()}: every route is registered through {@link #route} with the least role it needs.
 */
final class Auth {

    static final String PRINCIPAL = "principal";

    /**
     * One row of the roles table.
     *
     * @param method the HTTP method
     * @param path the route
     * @param role the least role that may call it
     * @param what what it does, for the README's table
     */
    record Rule(HandlerType method, String path, Role role, String what) {
    }

    private final AccessKeys access;
    private final List<Rule> rules = new ArrayList<>();

    Auth(AccessKeys access) {
        this.access = access;
    }

    /** @return every route with the role it needs, in the order they were registered */
    List<Rule> table() {
        return Collections.unmodifiableList(rules);
    }

    /**
     * @param routes Javalin's routes
     * @param method the method
     * @param path the route
     * @param role the least role that may call it
     * @param what what it does
     * @param handler the handler, called only for a caller whose role includes {@code role}
     */
    void route(io.javalin.config.RoutesConfig routes, HandlerType method, String path, Role role, String what,
            Handler handler) {
        rules.add(new Rule(method, path, role, what));
        routes.addHttpHandler(method, path, ctx -> {
            Principal p = principal(ctx);
            if (!p.role().includes(role)) {
                throw ApiError.forbidden("This endpoint needs a key of role " + role.wireName() + " or above; this key's "
                        + "role is " + p.role().wireName() + ".");
            }
            handler.handle(ctx);
        });
    }

    /** Authenticates a {@code /v1} request, or answers 401. */
    void authenticate(Context ctx) {
        String header = ctx.header("Authorization");
        if (header == null || !header.startsWith("Bearer ") || header.length() <= 7) {
            throw ApiError.unauthorized("You didn't provide an API key. Send it in an Authorization header: "
                    + "Authorization: Bearer YOUR_KEY (make one with ./training keys create).");
        }
        Principal p = access.authenticate(header.substring(7).trim()).orElseThrow(() -> ApiError.unauthorized(
                "Incorrect API key provided. Keys come from ./training keys create on this server's home."));
        ctx.attribute(PRINCIPAL, p);
    }

    static Principal principal(Context ctx) {
        return Objects.requireNonNull(ctx.attribute(PRINCIPAL));
    }
}

package dev.koder.training.server;

import dev.koder.training.sqlite.SqliteAccess;
import java.nio.file.Path;

/**
 * Revokes a key by its name in a process of its own, as {@code training keys revoke} does from another shell:
 * {@code RevokeKey HOME NAME}.
 */
public final class RevokeKey {

    private RevokeKey() {
    }

    public static void main(String[] args) {
        try (SqliteAccess access = SqliteAccess.open(Path.of(args[0]))) {
            String id = access.list().stream().filter(k -> k.name().equals(args[1])).findFirst().orElseThrow()
                    .keyId();
            System.exit(access.revoke(id) ? 0 : 3);
        }
    }
}

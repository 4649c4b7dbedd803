package dev.koder.training.postgres;

import dev.koder.training.spi.AccessKeyStore;
import dev.koder.training.tck.AccessKeyStoreCompatibilityKit;
import java.nio.file.Path;

/**
 * The key store kit against a real PostgreSQL server: the store objects of a test stand for instances, each change on
 * a connection of its own.
 */
class PostgresAccessKeysKitTest extends AccessKeyStoreCompatibilityKit {

    @Override
    protected AccessKeyStore openStore(Path dir) {
        return PostgresAccessKeys.open(PostgresServer.get().settings(dir));
    }
}

package dev.koder.training.postgres;

import dev.koder.training.spi.AccessKeyStore;
import dev.koder.training.tck.AccessKeyStoreCompatibilityKit;
import java.nio.file.Path;

/** The key store kit against a real PostgreSQL server, each store with a pool of its own, as instances have. */
class PostgresAccessKeysKitTest extends AccessKeyStoreCompatibilityKit {

    @Override
    protected AccessKeyStore openStore(Path dir) {
        return PostgresAccessKeys.open(PostgresServer.get().settings(dir));
    }
}

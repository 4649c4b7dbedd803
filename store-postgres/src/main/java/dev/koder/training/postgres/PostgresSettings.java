package dev.koder.training.postgres;

import dev.koder.training.spi.PluginConfig;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where the PostgreSQL stores are: {@code training.store.postgres.url} ({@code jdbc:postgresql://HOST:PORT/DB}),
 * {@code .user}, {@code .password}, {@code .schema} (default {@code public}) and {@code .pool-size} (default 10
 * connections a store); or, without a url, PostgreSQL's own environment variables {@code PGHOST}, {@code PGPORT}
 * (5432), {@code PGDATABASE}, {@code PGUSER} and {@code PGPASSWORD}. A property wins over the environment.
 *
 * @param url the JDBC url
 * @param user who connects, or null for the driver's default
 * @param password the password, or null
 * @param schema the schema the tables live in (made when absent)
 * @param poolSize the most connections a store holds
 */
public record PostgresSettings(String url, String user, String password, String schema, int poolSize) {

    /** The prefix of the settings. */
    public static final String PREFIX = "training.store.postgres.";

    private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    /** Checks the settings. */
    public PostgresSettings {
        if (url == null || !url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException(PREFIX + "url must be a PostgreSQL JDBC url "
                    + "(jdbc:postgresql://HOST:PORT/DATABASE), got " + url);
        }
        if (schema == null || !SCHEMA.matcher(schema).matches()) {
            throw new IllegalArgumentException(PREFIX + "schema must be a lower-case SQL name (letters, digits and _, "
                    + "at most 63), got " + schema);
        }
        if (poolSize < 1 || poolSize > 1000) {
            throw new IllegalArgumentException(PREFIX + "pool-size must be 1 to 1000, got " + poolSize);
        }
    }

    /**
     * @param config the service's properties
     * @param env the environment
     * @return the settings
     * @throws IllegalArgumentException when neither the url nor PGHOST and PGDATABASE say where the database is, or
     *     a setting is malformed
     */
    public static PostgresSettings from(PluginConfig config, Map<String, String> env) {
        Optional<String> url = config.text(PREFIX + "url");
        String jdbc;
        if (url.isPresent()) {
            jdbc = url.get();
        } else {
            String host = env.get("PGHOST");
            String db = env.getOrDefault("PGDATABASE", env.get("PGUSER"));
            if (host == null || host.isBlank() || db == null || db.isBlank()) {
                throw new IllegalArgumentException("training.store=postgres needs to know where the database is: set "
                        + PREFIX + "url (jdbc:postgresql://HOST:PORT/DATABASE), " + PREFIX + "user and " + PREFIX
                        + "password, or the environment variables PGHOST, PGPORT, PGDATABASE, PGUSER and PGPASSWORD");
            }
            String port = env.getOrDefault("PGPORT", "5432");
            if (!port.matches("[0-9]{1,5}")) {
                throw new IllegalArgumentException("PGPORT must be a port number, got '" + port + "'");
            }
            jdbc = "jdbc:postgresql://" + host + ":" + port + "/" + db;
        }
        String user = config.get(PREFIX + "user").orElse(env.get("PGUSER"));
        String password = config.get(PREFIX + "password").orElse(env.get("PGPASSWORD"));
        String schema = config.text(PREFIX + "schema").orElse("public");
        int size = (int) config.whole(PREFIX + "pool-size", 10, 1, 1000);
        return new PostgresSettings(jdbc, user, password, schema, size);
    }

    @Override
    public String toString() {
        // never the password
        return url + " (user " + user + ", schema " + schema + ")";
    }
}

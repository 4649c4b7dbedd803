package dev.koder.training.store.sql;

import dev.koder.training.api.TenantNames;
import dev.koder.training.api.Tier;
import dev.koder.training.api.WireName;
import dev.koder.training.spi.AccessKeyStore;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Tenants (with the tier their jobs get) and API keys, in a SQL database (the statements every database runs; the
 * embedded one and PostgreSQL subclass it). A key is shown once, when it is made, and only its SHA-256 is stored: 32
 * random bytes leave nothing for a slow hash to protect. A key belongs to one tenant and has one role.
 */
public class SqlAccessKeys implements AccessKeyStore {

    private static final char[] ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

    private final SqlTransactions session;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param session the database, its tables {@code tenants} and {@code api_keys} made
     * @param clock for the times of keys
     */
    protected SqlAccessKeys(SqlTransactions session, Clock clock) {
        this.session = session;
        this.clock = clock;
    }

    /**
     * Makes a key, creating the tenant if it is new.
     *
     * @param tenant the tenant (letters, digits, {@code _ . -}, at most 64)
     * @param role what the key may do
     * @param name the key's name, recorded as the actor of what it does (blank: tenant-role-id)
     * @param tier the tenant's tier, set when given (a new tenant without one is free)
     * @return the key, whose secret is not kept
     * @throws IllegalArgumentException when the tenant name is not allowed
     */
    @Override
    public NewKey create(String tenant, Role role, String name, Tier tier) {
        TenantNames.require(tenant);
        String secret = PREFIX + token(40);
        String id = "key-" + token(12).toLowerCase(Locale.ROOT);
        String keyName = name == null || name.isBlank() ? tenant + "-" + role.wireName() + "-" + id.substring(4) : name;
        long now = clock.millis();
        Tier chosen = session.write(c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO tenants (name, tier, created_at) VALUES (?, ?, ?) "
                    + "ON CONFLICT(name) DO UPDATE SET tier = COALESCE(?, tenants.tier)")) {
                s.setString(1, tenant);
                s.setString(2, (tier == null ? Tier.FREE : tier).wireName());
                s.setLong(3, now);
                s.setString(4, tier == null ? null : tier.wireName());
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("INSERT INTO api_keys (id, name, tenant, role, key_hash, "
                    + "created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                s.setString(1, id);
                s.setString(2, keyName);
                s.setString(3, tenant);
                s.setString(4, role.wireName());
                s.setString(5, hash(secret));
                s.setLong(6, now);
                s.executeUpdate();
            }
            return tierOf(c, tenant);
        });
        return new NewKey(secret, new Principal(id, keyName, tenant, chosen, role));
    }

    /**
     * @param key a secret from a request
     * @return who it belongs to, unless it is unknown or revoked
     */
    @Override
    public Optional<Principal> authenticate(String key) {
        if (key == null || !key.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String h = hash(key);
        return session.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT k.id, k.name, k.tenant, t.tier, k.role FROM api_keys k "
                    + "JOIN tenants t ON t.name = k.tenant WHERE k.key_hash = ? AND k.revoked_at IS NULL")) {
                s.setString(1, h);
                try (ResultSet rs = s.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new Principal(rs.getString(1), rs.getString(2), rs.getString(3),
                            WireName.parse(Tier.class, rs.getString(4)), WireName.parse(Role.class, rs.getString(5))));
                }
            }
        });
    }

    /** @param keyId a key's id @return whether a key was revoked by this call */
    @Override
    public boolean revoke(String keyId) {
        return session.update("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", clock.millis(),
                keyId) > 0;
    }

    /** @return every key that is not revoked, without secrets, by tenant and name */
    @Override
    public List<Principal> list() {
        return session.read(c -> {
            List<Principal> out = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT k.id, k.name, k.tenant, t.tier, k.role FROM api_keys k "
                    + "JOIN tenants t ON t.name = k.tenant WHERE k.revoked_at IS NULL ORDER BY k.tenant, k.name");
                    ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(new Principal(rs.getString(1), rs.getString(2), rs.getString(3),
                            WireName.parse(Tier.class, rs.getString(4)), WireName.parse(Role.class, rs.getString(5))));
                }
            }
            return out;
        });
    }

    private static Tier tierOf(java.sql.Connection c, String tenant) throws java.sql.SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT tier FROM tenants WHERE name = ?")) {
            s.setString(1, tenant);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return WireName.parse(Tier.class, rs.getString(1));
            }
        }
    }

    static String hash(String secret) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(
                    secret.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private String token(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return new String(out);
    }

    @Override
    public void close() {
        session.close();
    }
}

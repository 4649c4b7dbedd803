package dev.koder.training.api;

import java.util.List;
import java.util.Optional;

/**
 * Tenants (with the tier their jobs get) and their API keys. A key belongs to one tenant and has one role; its
 * secret is shown once, when it is made, and only a digest of it is kept. What a server checks every request
 * against, so a revoked key is refused from the next request on.
 */
public interface AccessKeys {

    /** Key prefix: says what the secret is for when it turns up in a log or a repository. */
    String PREFIX = "sk-train-";

    /** What a key may do; each role includes the ones before it. */
    enum Role implements WireName {
        /** Submits and follows jobs, uploads files, reads checkpoints. */
        MEMBER,
        /** A member who may also approve and deprecate checkpoints. */
        APPROVER,
        /** An approver who may also see the pool and every tenant's estimate history. */
        ADMIN;

        @Override
        public String wireName() {
            return WireName.lower(this);
        }

        /** @param other another role @return whether this role includes that one */
        public boolean includes(Role other) {
            return ordinal() >= other.ordinal();
        }
    }

    /**
     * Who a request comes from.
     *
     * @param keyId the key's id
     * @param name the key's name (the actor recorded for what it does)
     * @param tenant the tenant it belongs to
     * @param tier that tenant's tier
     * @param role what it may do
     */
    record Principal(String keyId, String name, String tenant, Tier tier, Role role) {
    }

    /**
     * A key just made.
     *
     * @param key the secret, shown once
     * @param principal who it is
     */
    record NewKey(String key, Principal principal) {
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
    NewKey create(String tenant, Role role, String name, Tier tier);

    /**
     * @param key a secret from a request
     * @return who it belongs to, unless it is unknown or revoked
     */
    Optional<Principal> authenticate(String key);

    /** @param keyId a key's id @return whether a key was revoked by this call */
    boolean revoke(String keyId);

    /** @return every key that is not revoked, without secrets, by tenant and name */
    List<Principal> list();
}

package dev.koder.training.api;

/**
 * What a tenant may be called: the rule a spec's {@code tenant} follows, for everything else that takes a tenant's
 * name (keys, budgets, a tenant's view), so that no budget or key is kept for a tenant no job can name.
 */
public final class TenantNames {

    private TenantNames() {
    }

    /** @param tenant a name @return whether a spec may name it as its tenant */
    public static boolean valid(String tenant) {
        return tenant != null && JobSpec.IDENTIFIER.matcher(tenant).matches();
    }

    /**
     * @param tenant a name
     * @return the name
     * @throws IllegalArgumentException saying the rule, when a spec could not name it
     */
    public static String require(String tenant) {
        if (!valid(tenant)) {
            throw new IllegalArgumentException("tenant must be " + JobSpec.IDENTIFIER_TEXT + ", got '" + tenant
                    + "'");
        }
        return tenant;
    }
}

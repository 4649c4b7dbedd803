package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.AccessKeys;
import dev.koder.training.api.AccessKeys.Role;
import dev.koder.training.api.Tier;
import dev.koder.training.spi.AccessKeyStore;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What every {@link AccessKeyStore} must do: a key made through one store object is accepted by another on the same
 * place (as by another instance), a revoked one is refused by every one from then on, the secret is never listed, and
 * a tenant keeps its tier unless a new key sets one. Extend it and implement {@link #openStore(Path)}.
 */
public abstract class AccessKeyStoreCompatibilityKit extends StoreKit<AccessKeyStore> {

    @Test
    void aKeyMadeThroughOneInstance_isAcceptedByAnother_asItsTenantAndRole() {
        AccessKeyStore a = store();
        AccessKeyStore b = store();
        AccessKeys.NewKey made = a.create("acme", Role.APPROVER, "ci-bot", Tier.PRO);
        assertThat(made.key()).startsWith(AccessKeys.PREFIX).hasSizeGreaterThan(AccessKeys.PREFIX.length() + 30);
        assertThat(b.authenticate(made.key())).hasValueSatisfying(p -> {
            assertThat(p.tenant()).isEqualTo("acme");
            assertThat(p.role()).isEqualTo(Role.APPROVER);
            assertThat(p.tier()).isEqualTo(Tier.PRO);
            assertThat(p.name()).isEqualTo("ci-bot");
            assertThat(p.keyId()).isEqualTo(made.principal().keyId());
        });
        assertThat(b.authenticate(made.key() + "x")).isEmpty();
        assertThat(b.authenticate("not-a-key")).isEmpty();
        assertThat(b.authenticate(null)).isEmpty();
    }

    @Test
    void aRevokedKey_isRefusedByEveryInstance_andRevokingTwiceSaysSo() {
        AccessKeyStore a = store();
        AccessKeyStore b = store();
        AccessKeys.NewKey made = a.create("acme", Role.MEMBER, "", null);
        assertThat(b.revoke(made.principal().keyId())).isTrue();
        assertThat(a.authenticate(made.key())).isEmpty();
        assertThat(a.revoke(made.principal().keyId())).isFalse();
        assertThat(a.revoke("key-unknown")).isFalse();
    }

    @Test
    void theList_hasLiveKeysByTenantAndName_withoutSecrets() {
        AccessKeyStore a = store();
        a.create("zeta", Role.MEMBER, "b-key", Tier.FREE);
        AccessKeys.NewKey gone = a.create("acme", Role.MEMBER, "gone", null);
        a.create("acme", Role.ADMIN, "a-key", null);
        a.revoke(gone.principal().keyId());
        List<AccessKeys.Principal> keys = store().list();
        assertThat(keys).extracting(AccessKeys.Principal::name).containsExactly("a-key", "b-key");
        assertThat(keys.toString()).doesNotContain(AccessKeys.PREFIX);
        AccessKeys.NewKey unnamed = a.create("acme", Role.MEMBER, " ", null);
        assertThat(unnamed.principal().name()).startsWith("acme-member-");
    }

    @Test
    void aTenantKeepsItsTier_unlessANewKeySetsOne_andANewTenantIsFree() {
        AccessKeyStore a = store();
        assertThat(a.create("fresh", Role.MEMBER, "k1", null).principal().tier()).isEqualTo(Tier.FREE);
        a.create("acme", Role.MEMBER, "k1", Tier.ENTERPRISE);
        AccessKeys.NewKey second = a.create("acme", Role.MEMBER, "k2", null);
        assertThat(second.principal().tier()).isEqualTo(Tier.ENTERPRISE);
        AccessKeys.NewKey third = a.create("acme", Role.MEMBER, "k3", Tier.PRO);
        assertThat(store().authenticate(second.key())).hasValueSatisfying(p -> assertThat(p.tier())
                .as("every key of the tenant gets its new tier").isEqualTo(Tier.PRO));
        assertThat(third.principal().tier()).isEqualTo(Tier.PRO);
    }

    @Test
    void aTenantNameThatIsNotAllowed_isRefusedSayingWhat_andNothingIsKept() {
        AccessKeyStore a = store();
        for (String bad : new String[] {"", "-lead", "has space", "x".repeat(65), "a/b", "ümlaut"}) {
            assertThatThrownBy(() -> a.create(bad, Role.MEMBER, "k", null)).isInstanceOf(
                    IllegalArgumentException.class).hasMessageContaining("tenant");
        }
        assertThat(a.list()).isEmpty();
    }
}

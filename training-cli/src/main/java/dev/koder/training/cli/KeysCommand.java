package dev.koder.training.cli;

import dev.koder.training.api.AccessKeys;
import dev.koder.training.api.Tier;
import dev.koder.training.api.WireName;
import dev.koder.training.core.Training;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "keys", description = "API keys of the server: each belongs to one tenant and has a role.",
        subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
final class KeysCommand {

    @Command(name = "create", description = {"Make a key and print it once (only its hash is kept).",
            "Roles: member (jobs, files, checkpoints), approver (also approves and deprecates), admin (also quota and "
                    + "pool)."})
    static final class Create implements Callable<Integer> {
        @Mixin
        CommonOptions common;

        @Option(names = "--tenant", required = true, description = "The tenant the key acts for.")
        String tenant;

        @Option(names = "--role", defaultValue = "member", description = "member, approver or admin (default: "
                + "${DEFAULT-VALUE}).")
        String role;

        @Option(names = "--name", description = "The key's name, recorded as who approved or deprecated (default: "
                + "tenant-role-id).")
        String name;

        @Option(names = "--tier", description = "Set the tenant's tier: enterprise, pro or free (a new tenant is free).")
        String tier;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec command;

        @Override
        public Integer call() {
            AccessKeys.Role r = parse(AccessKeys.Role.class, role, "--role");
            Tier t = tier == null ? null : parse(Tier.class, tier, "--tier");
            try (Training training = common.client()) {
                AccessKeys access = training.keys();
                AccessKeys.NewKey key = access.create(tenant, r, name, t);
                PrintWriter out = command.commandLine().getOut();
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("key", key.key());
                doc.put("id", key.principal().keyId());
                doc.put("name", key.principal().name());
                doc.put("tenant", key.principal().tenant());
                doc.put("tier", key.principal().tier().wireName());
                doc.put("role", key.principal().role().wireName());
                common.print(out, doc, text -> {
                    text.println(key.key());
                    text.println("  " + key.principal().name() + " (" + key.principal().keyId() + "): "
                            + key.principal().role().wireName() + " of tenant " + key.principal().tenant() + " ("
                            + key.principal().tier().wireName() + "). Shown once; only its hash is kept.");
                });
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(command.commandLine(), e.getMessage());
            }
            return ExitCodes.OK;
        }

        private <E extends Enum<E> & WireName> E parse(Class<E> type, String value, String option) {
            try {
                return WireName.parse(type, value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(command.commandLine(), option + ": " + e.getMessage());
            }
        }
    }

    @Command(name = "list", description = "The keys that are not revoked, without their secrets.")
    static final class ListKeys implements Callable<Integer> {
        @Mixin
        CommonOptions common;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec command;

        @Override
        public Integer call() {
            try (Training training = common.client()) {
                AccessKeys access = training.keys();
                var keys = access.list();
                common.print(command.commandLine().getOut(), keys, text -> {
                    if (keys.isEmpty()) {
                        text.println("No keys. Make one with: training keys create --tenant T --role member");
                    }
                    keys.forEach(k -> text.printf("%-18s %-30s %-8s %s (%s)%n", k.keyId(), k.name(),
                            k.role().wireName(), k.tenant(), k.tier().wireName()));
                });
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "revoke", description = "Revoke a key by its id; requests with it get 401 from then on.")
    static final class Revoke implements Callable<Integer> {
        @Mixin
        CommonOptions common;

        @CommandLine.Parameters(paramLabel = "KEY_ID")
        String id;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec command;

        @Override
        public Integer call() {
            try (Training training = common.client()) {
                AccessKeys access = training.keys();
                if (!access.revoke(id)) {
                    command.commandLine().getErr().println("error: no key " + id + " that is not revoked");
                    return ExitCodes.INVALID;
                }
            }
            command.commandLine().getOut().println("revoked " + id);
            return ExitCodes.OK;
        }
    }
}

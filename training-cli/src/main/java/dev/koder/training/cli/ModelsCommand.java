package dev.koder.training.cli;

import dev.koder.training.api.AvailableModel;
import dev.koder.training.api.TenantNames;
import dev.koder.training.api.Tier;
import dev.koder.training.core.Training;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "models", description = {"List the models a tenant may name as a job's base model, by those names.",
        "The hub ids in this machine's Hugging Face cache, the model folders of training.models.roots (NAME or "
                + "ORG/NAME), and the tenant's own fine-tunes by their ft: names: what the server's GET /v1/models "
                + "answers that tenant."})
final class ModelsCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Option(names = "--tenant", required = true, description = "The tenant whose view to list.")
    String tenant;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() {
        try {
            TenantNames.require(tenant);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(command.commandLine(), "--tenant: " + e.getMessage());
        }
        try (Training training = common.client()) {
            // the tier is the tenant's jobs'; what it may name does not depend on it
            List<AvailableModel> models = training.tenant(tenant, Tier.FREE).models();
            common.print(command.commandLine().getOut(), Map.of("models", models), out -> {
                if (models.isEmpty()) {
                    out.println("No model is available to " + tenant + ": set training.models.roots, fill the "
                            + "Hugging Face cache, or fine-tune one.");
                    return;
                }
                int width = Math.max(5, models.stream().mapToInt(m -> m.id().length()).max().orElse(0));
                out.printf(Locale.ROOT, "%-" + width + "s  %-10s  %s%n", "MODEL", "SOURCE", "CREATED");
                for (AvailableModel m : models) {
                    out.printf(Locale.ROOT, "%-" + width + "s  %-10s  %s%n", m.id(), m.source().wireName(),
                            Render.DATE_TIME.format(m.created()));
                }
            });
        }
        return ExitCodes.OK;
    }
}

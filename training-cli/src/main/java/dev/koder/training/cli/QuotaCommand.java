package dev.koder.training.cli;

import dev.koder.training.api.Quotas.QuotaUsage;
import dev.koder.training.api.Quotas;
import dev.koder.training.core.Training;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

@Command(name = "quota", description = {"GPU-hour budgets per tenant and calendar month (UTC).",
        "A submitted job reserves its estimated GPU-hours; a job its tenant's budget cannot cover is refused. "
                + "What a job really used is charged when it ends and the rest of its reservation returns. "
                + "A tenant without a budget is not limited."},
        subcommands = {QuotaCommand.Set.class, QuotaCommand.Clear.class, QuotaCommand.Show.class})
final class QuotaCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public void run() {
        command.commandLine().usage(command.commandLine().getOut());
    }

    static Quotas ledger(Training training, CommandLine cl) {
        Quotas ledger = training.quotas();
        if (ledger == null) {
            throw new CommandLine.ParameterException(cl, "this service has no quota ledger (training.quota=none)");
        }
        return ledger;
    }

    static Map<String, Object> json(QuotaUsage u) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("tenant", u.tenant());
        doc.put("period", u.period());
        doc.put("budget_gpu_hours", u.budgetGpuHours());
        doc.put("reserved_gpu_hours", u.reservedGpuHours());
        doc.put("used_gpu_hours", u.usedGpuHours());
        doc.put("remaining_gpu_hours", u.budgetGpuHours() == null ? null : u.remaining());
        return doc;
    }

    @Command(name = "set", description = "Set a tenant's monthly budget in GPU-hours (0 refuses every GPU job).")
    static final class Set implements Callable<Integer> {

        @Mixin
        CommonOptions common;

        @Parameters(index = "0", paramLabel = "TENANT", description = "The tenant.")
        String tenant;

        @Parameters(index = "1", paramLabel = "GPU_HOURS", description = "GPU-hours per month, 0 or more.")
        String hours;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec command;

        @Override
        public Integer call() {
            double value;
            try {
                value = Double.parseDouble(hours);
            } catch (NumberFormatException e) {
                value = Double.NaN;
            }
            if (!(value >= 0) || Double.isInfinite(value)) {
                throw new CommandLine.ParameterException(command.commandLine(),
                        "GPU_HOURS must be a number of 0 or more, got '" + hours + "'");
            }
            try (Training training = common.client()) {
                Quotas ledger = ledger(training, command.commandLine());
                try {
                    ledger.setBudget(tenant, value);
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(command.commandLine(), e.getMessage());
                }
                QuotaUsage usage = ledger.usage(tenant, Instant.now());
                common.print(command.commandLine().getOut(), json(usage), out -> Render.quotas(out, List.of(usage)));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "clear", description = "Remove a tenant's budget: it is no longer limited.")
    static final class Clear implements Callable<Integer> {

        @Mixin
        CommonOptions common;

        @Parameters(paramLabel = "TENANT", description = "The tenant.")
        String tenant;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec command;

        @Override
        public Integer call() {
            try (Training training = common.client()) {
                boolean had = ledger(training, command.commandLine()).clearBudget(tenant);
                common.print(command.commandLine().getOut(), Map.of("tenant", tenant, "cleared", had),
                        out -> out.println(had ? "Tenant " + tenant + " has no budget now: it is not limited."
                                : "Tenant " + tenant + " had no budget."));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", description = "Show this month's budget, reserved and used GPU-hours, per tenant.")
    static final class Show implements Callable<Integer> {

        @Mixin
        CommonOptions common;

        @Parameters(paramLabel = "TENANT", arity = "0..1", description = "One tenant (default: every tenant known).")
        String tenant;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec command;

        @Override
        public Integer call() {
            try (Training training = common.client()) {
                Quotas ledger = ledger(training, command.commandLine());
                Instant now = Instant.now();
                List<QuotaUsage> usages = (tenant == null ? ledger.tenants() : List.of(tenant)).stream()
                        .map(t -> ledger.usage(t, now)).toList();
                common.print(command.commandLine().getOut(), usages.stream().map(QuotaCommand::json).toList(),
                        out -> Render.quotas(out, usages));
            }
            return ExitCodes.OK;
        }
    }
}

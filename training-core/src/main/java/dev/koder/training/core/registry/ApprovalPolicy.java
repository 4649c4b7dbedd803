package dev.koder.training.core.registry;

import dev.koder.training.api.ApprovalVerdict;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.Job;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The approval gate: rules a checkpoint must pass before it can be approved, read from the home's settings
 * ({@code training.properties}, system properties or the builder's). Every key starts with {@value #PREFIX}:
 *
 * <ul>
 *   <li>{@code require=eval_loss,eval_mean_token_accuracy}: these metrics must be present;
 *   <li>{@code min.METRIC=X}: the metric must be present and at least X;
 *   <li>{@code max.METRIC=X}: the metric must be present and at most X;
 *   <li>{@code beat-approved.METRIC=MARGIN}: the metric must be better than that of the tenant's approved
 *       checkpoint of the same base model by at least MARGIN (lower for a loss, higher for every other metric);
 *       passes, saying so, when there is no approved checkpoint yet or it lacks the metric;
 *   <li>{@code other-approver=true}: the approver must not be the job's submitter, and the submitter must be
 *       recorded.
 * </ul>
 *
 * <p>A tenant's own rules are the same keys under {@code training.approval.tenant.TENANT.}: they replace the
 * home's rule of the same key for that tenant, and the value {@code off} turns that rule off for it. The tenant
 * name runs up to the first rule word ({@code require}, {@code other-approver}, {@code min.}, {@code max.},
 * {@code beat-approved.}). With no keys at all, every approval is allowed.
 */
public final class ApprovalPolicy {

    /** Where every key of the policy starts. */
    public static final String PREFIX = "training.approval.";
    private static final String TENANT_PREFIX = PREFIX + "tenant.";
    private static final String RULE = "require|other-approver|(?:min|max|beat-approved)\\.[A-Za-z0-9_./@-]+";
    private static final Pattern HOME_KEY = Pattern.compile(RULE);
    private static final Pattern TENANT_KEY = Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]*?)\\.(" + RULE + ")");
    private static final String OFF = "off";

    /** An approval policy with no rules: every approval is allowed. */
    public static final ApprovalPolicy NONE = new ApprovalPolicy(Map.of(), Map.of());

    private final Map<String, String> home;
    private final Map<String, Map<String, String>> tenants;

    private ApprovalPolicy(Map<String, String> home, Map<String, Map<String, String>> tenants) {
        this.home = home;
        this.tenants = tenants;
    }

    /**
     * @param properties the home's settings
     * @return the policy their {@value #PREFIX} keys describe
     * @throws IllegalArgumentException naming the key, when a key is not a rule or its value is not what the rule
     *     takes
     */
    public static ApprovalPolicy of(Map<String, String> properties) {
        Map<String, String> home = new TreeMap<>();
        Map<String, Map<String, String>> tenants = new TreeMap<>();
        for (Map.Entry<String, String> e : new TreeMap<>(properties).entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(PREFIX)) {
                continue;
            }
            String value = e.getValue().strip();
            if (key.startsWith(TENANT_PREFIX)) {
                Matcher m = TENANT_KEY.matcher(key.substring(TENANT_PREFIX.length()));
                if (!m.matches()) {
                    throw new IllegalArgumentException(key + " is not an approval rule: a tenant's rule is "
                            + TENANT_PREFIX + "TENANT.RULE, where RULE is require, other-approver, min.METRIC, "
                            + "max.METRIC or beat-approved.METRIC");
                }
                if (!value.equalsIgnoreCase(OFF)) {
                    check(key, m.group(2), value);
                }
                tenants.computeIfAbsent(m.group(1), t -> new TreeMap<>()).put(m.group(2), value);
            } else {
                String rule = key.substring(PREFIX.length());
                if (!HOME_KEY.matcher(rule).matches()) {
                    throw new IllegalArgumentException(key + " is not an approval rule: the rules are " + PREFIX
                            + "require, other-approver, min.METRIC, max.METRIC, beat-approved.METRIC and a tenant's "
                            + TENANT_PREFIX + "TENANT.RULE");
                }
                check(key, rule, value);
                home.put(rule, value);
            }
        }
        return home.isEmpty() && tenants.isEmpty() ? NONE : new ApprovalPolicy(home, tenants);
    }

    private static void check(String key, String rule, String value) {
        if (rule.equals("require")) {
            if (metrics(value).isEmpty()) {
                throw new IllegalArgumentException(key + " must name one or more metrics, comma-separated, got '"
                        + value + "'");
            }
        } else if (rule.equals("other-approver")) {
            if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
                throw new IllegalArgumentException(key + " must be true or false, got '" + value + "'");
            }
        } else {
            double x;
            try {
                x = Double.parseDouble(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " must be a number, got '" + value + "'");
            }
            if (!Double.isFinite(x) || rule.startsWith("beat-approved.") && x < 0) {
                throw new IllegalArgumentException(key + " must be a finite number" + (rule.startsWith("beat")
                        ? " of 0 or more (the margin)" : "") + ", got '" + value + "'");
            }
        }
    }

    private static List<String> metrics(String value) {
        return Arrays.stream(value.split(",")).map(String::strip).filter(m -> !m.isEmpty()).toList();
    }

    /**
     * @param tenant a tenant
     * @return the rules that apply to its checkpoints, by key, in the order they are checked
     */
    public Map<String, String> rulesFor(String tenant) {
        Map<String, String> rules = new TreeMap<>(home);
        tenants.getOrDefault(tenant, Map.of()).forEach((k, v) -> {
            if (v.equalsIgnoreCase(OFF)) {
                rules.remove(k);
            } else {
                rules.put(k, v);
            }
        });
        return rules;
    }

    /** @return whether no rule applies to anyone */
    public boolean empty() {
        return home.isEmpty() && tenants.isEmpty();
    }

    /**
     * Checks every rule that applies to a checkpoint's tenant.
     *
     * @param c the checkpoint
     * @param actor who would approve it
     * @param job the job that wrote it, when it is still known
     * @param approved the tenant's approved checkpoint of the same base model, if any
     * @return the verdict
     */
    public ApprovalVerdict check(Checkpoint c, String actor, Optional<Job> job, Optional<Checkpoint> approved) {
        List<ApprovalVerdict.Rule> out = new ArrayList<>();
        Map<String, Double> metrics = c.metrics();
        for (Map.Entry<String, String> rule : rulesFor(c.tenant()).entrySet()) {
            String key = rule.getKey();
            String value = rule.getValue();
            if (key.equals("require")) {
                for (String m : metrics(value)) {
                    Double v = metrics.get(m);
                    out.add(new ApprovalVerdict.Rule("require." + m, present(v), present(v) ? m + " = "
                            + figure(v) : m + " is missing" + known(metrics)));
                }
            } else if (key.equals("other-approver")) {
                if (value.equalsIgnoreCase("true")) {
                    out.add(otherApprover(c, actor, job));
                }
            } else {
                int dot = key.indexOf('.');
                String kind = key.substring(0, dot);
                String m = key.substring(dot + 1);
                double x = Double.parseDouble(value);
                Double v = metrics.get(m);
                if (!present(v)) {
                    out.add(new ApprovalVerdict.Rule(key, false, m + " is missing" + known(metrics)));
                } else if (kind.equals("min")) {
                    out.add(new ApprovalVerdict.Rule(key, v >= x, m + " " + figure(v) + (v >= x ? " >= " : " < ")
                            + figure(x)));
                } else if (kind.equals("max")) {
                    out.add(new ApprovalVerdict.Rule(key, v <= x, m + " " + figure(v) + (v <= x ? " <= " : " > ")
                            + figure(x)));
                } else {
                    out.add(beatApproved(key, m, v, x, approved));
                }
            }
        }
        return ApprovalVerdict.of(c.id(), actor, out);
    }

    private static ApprovalVerdict.Rule beatApproved(String key, String m, double v, double margin,
            Optional<Checkpoint> approved) {
        if (approved.isEmpty()) {
            return new ApprovalVerdict.Rule(key, true, "no checkpoint of this model is approved yet; nothing to beat");
        }
        Checkpoint a = approved.get();
        Double before = a.metrics().get(m);
        if (!present(before)) {
            return new ApprovalVerdict.Rule(key, true, "the approved checkpoint " + a.id() + " has no " + m
                    + "; nothing to compare");
        }
        boolean lower = CheckpointPolicy.lowerIsBetter(m);
        double needed = lower ? before - margin : before + margin;
        boolean passed = lower ? v <= needed : v >= needed;
        return new ApprovalVerdict.Rule(key, passed, m + " " + figure(v) + (passed ? " beats " : " does not beat ")
                + "the approved " + a.id() + "'s " + figure(before) + " by " + figure(margin) + " (needs "
                + (lower ? "<= " : ">= ") + figure(needed) + (lower ? "; lower is better" : "; higher is better")
                + ")");
    }

    private static ApprovalVerdict.Rule otherApprover(Checkpoint c, String actor, Optional<Job> job) {
        String submitter = job.map(Job::submittedBy).orElse(null);
        if (submitter == null) {
            return new ApprovalVerdict.Rule("other-approver", false, "job " + c.jobId() + " has no recorded "
                    + "submitter, so another approver cannot be told apart (submit through the server or the CLI, "
                    + "or with Jobs.submit(spec, submitter))");
        }
        boolean other = actor != null && !actor.strip().equalsIgnoreCase(submitter);
        return new ApprovalVerdict.Rule("other-approver", other, other ? actor.strip() + " approves what "
                + submitter + " submitted" : submitter + " submitted job " + c.jobId()
                + "; someone else must approve its checkpoint");
    }

    private static boolean present(Double v) {
        return v != null && Double.isFinite(v);
    }

    private static String known(Map<String, Double> metrics) {
        return metrics.isEmpty() ? " (the checkpoint has no metrics)"
                : " (it has " + String.join(", ", new TreeMap<>(metrics).keySet()) + ")";
    }

    private static String figure(double v) {
        String s = String.format(Locale.ROOT, "%.6g", v);
        if (s.contains("e") || !s.contains(".")) {
            return s;
        }
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    @Override
    public String toString() {
        Map<String, Object> all = new LinkedHashMap<>(home);
        tenants.forEach((t, r) -> all.put("tenant " + t, r));
        return "ApprovalPolicy" + all;
    }
}

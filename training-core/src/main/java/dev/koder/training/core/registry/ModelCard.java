package dev.koder.training.core.registry;

import dev.koder.training.api.ApprovalVerdict;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointExport;
import dev.koder.training.api.CheckpointStage;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The model card of an export, in Markdown: what the model is, what it was made from (base, data and spec hashes,
 * parent), its figures, who approved it and how to load it. Only the checkpoint and its audit trail go into it, never
 * the time or place of the export, so the same checkpoint gives the same card. Values that came from users sit in
 * code spans, so no name or reason can change the card's structure.
 */
final class ModelCard {

    private ModelCard() {
    }

    static String write(Checkpoint c, List<Checkpoint> chain, List<Checkpoint.Transition> history, boolean merged,
            CheckpointExport.MergeCheck check, List<String> omitted) {
        StringBuilder md = new StringBuilder();
        md.append("# ").append(merged ? "Merged fine-tune " : "Fine-tune ").append(c.id()).append(" of ")
                .append(code(c.baseModel())).append("\n\n");
        String what = merged ? "the base model with the PEFT adapter merged in, as safetensors with its tokenizer"
                : c.format() == dev.koder.training.api.CheckpointFormat.PEFT_ADAPTER
                        ? "a PEFT adapter, to load on its base model" : "a whole model";
        md.append("Exported from checkpoint ").append(code(c.id())).append(" of the training registry: ").append(what)
                .append(". Stage at export: **").append(c.stage().wireName()).append("**.\n\n");
        md.append("| | |\n|---|---|\n");
        row(md, "Base model", code(c.baseModel()) + (revision(c) == null ? "" : " (revision " + code(revision(c))
                + ")"));
        row(md, "Method", code(c.method()));
        row(md, "Job", code(c.jobId()) + ", tenant " + code(c.tenant()));
        row(md, "Step", c.step() + (c.last() ? " (the job's output)" : " (an intermediate checkpoint)"));
        if (c.artifact() != null && c.artifact().peftType() != null) {
            row(md, "Adapter", c.artifact().peftType() + ", rank " + c.artifact().rank() + ", alpha "
                    + number(c.artifact().alpha()) + (c.artifact().targetModules() == null ? ""
                            : ", on " + code(String.join(", ", c.artifact().targetModules()))));
        }
        row(md, "Registered", c.createdAt().toString());
        md.append("\n## Metrics\n\n");
        if (c.metrics().isEmpty()) {
            md.append("The job reported no figures for this step.\n");
        } else {
            md.append("| metric | value |\n|---|---|\n");
            new TreeMap<>(c.metrics()).forEach((k, v) -> row(md, code(k), number(v)));
        }
        md.append("\n## Lineage\n\n");
        if (c.lineage() != null) {
            md.append("- Spec SHA-256: ").append(code(c.lineage().specHash())).append('\n');
            for (Map.Entry<String, String> d : new TreeMap<>(c.lineage().datasets()).entrySet()) {
                md.append("- Data ").append(code(d.getKey())).append(": SHA-256 ").append(code(d.getValue()))
                        .append('\n');
            }
            md.append("- Parent checkpoint: ").append(c.lineage().parent() == null ? "none (trained from the base "
                    + "model)" : code(c.lineage().parent())).append('\n');
            if (chain.size() > 1) {
                md.append("- Chain, newest first: ").append(String.join(" <- ", chain.stream().map(p -> code(p.id())
                        + " (job " + code(p.jobId()) + ", step " + p.step() + ")").toList())).append('\n');
            }
        } else {
            md.append("Not recorded.\n");
        }
        md.append("\n## Approvals\n\n");
        boolean any = false;
        for (Checkpoint.Transition t : history) {
            if (t.from() == null) {
                continue;
            }
            any = true;
            md.append("- ").append(t.time()).append(": ").append(t.from().wireName()).append(" -> ")
                    .append(t.to().wireName()).append(" by ").append(code(t.actor())).append(", ")
                    .append(code(t.reason()));
            if (t.to() == CheckpointStage.APPROVED && t.gate() != null) {
                long failed = t.gate().stream().filter(r -> !r.passed()).count();
                md.append(t.override() ? "; an admin override of " + failed + " failed gate rule"
                        + (failed == 1 ? "" : "s") + " (" + code(failures(t.gate())) + ")"
                        : "; every one of " + t.gate().size() + " gate rules passed");
            }
            md.append('\n');
        }
        if (!any) {
            md.append("None yet: the checkpoint is a draft nobody has approved.\n");
        }
        if (check != null) {
            md.append("\n## Merge check\n\nThe merged model, saved in ").append(check.dtype())
                    .append(" and loaded back, was run on a probe input of ").append(check.probeTokens())
                    .append(" tokens beside the adapter on its base: the largest difference of their logits was ")
                    .append(number(check.maxAbsDiff())).append(", within the ").append(number(check.tolerance()))
                    .append(" allowed.\n");
        }
        md.append("\n## Loading\n\n```python\n");
        if (merged || c.format() != dev.koder.training.api.CheckpointFormat.PEFT_ADAPTER) {
            md.append("from transformers import AutoModelForCausalLM, AutoTokenizer\n")
                    .append("model = AutoModelForCausalLM.from_pretrained(\"path/to/this/folder\")\n")
                    .append("tokenizer = AutoTokenizer.from_pretrained(\"path/to/this/folder\")\n");
        } else {
            md.append("from peft import AutoPeftModelForCausalLM\n")
                    .append("model = AutoPeftModelForCausalLM.from_pretrained(\"path/to/this/folder\")\n");
        }
        md.append("```\n\n## Files\n\n").append(CheckpointExport.MANIFEST)
                .append(" lists every file here with its size and SHA-256.");
        if (!omitted.isEmpty()) {
            md.append(" Left out, as trainer state for resuming rather than serving: ")
                    .append(code(String.join(", ", omitted))).append('.');
        }
        md.append('\n');
        return md.toString();
    }

    private static String revision(Checkpoint c) {
        return c.lineage() == null ? null : c.lineage().baseModelRevision();
    }

    private static String failures(List<ApprovalVerdict.Rule> rules) {
        return String.join("; ", rules.stream().filter(r -> !r.passed()).map(ApprovalVerdict.Rule::name).toList());
    }

    private static void row(StringBuilder md, String key, String value) {
        md.append("| ").append(key).append(" | ").append(value).append(" |\n");
    }

    private static String number(Double v) {
        if (v == null || v.isNaN() || v.isInfinite()) {
            return String.valueOf(v);
        }
        BigDecimal d = new BigDecimal(v).round(new MathContext(6)).stripTrailingZeros();
        double a = Math.abs(v);
        return a == 0 || (a >= 1e-4 && a < 1e6) ? d.toPlainString() : d.toString();
    }

    /**
     * A value as a Markdown code span: on one line, fenced by one backtick more than the longest run inside it, and
     * with its pipes escaped so it cannot split a table cell.
     */
    static String code(String value) {
        String s = value == null ? "" : value.replaceAll("[\\r\\n]+", " ").replace("|", "\\|");
        int longest = 0;
        int run = 0;
        for (char ch : s.toCharArray()) {
            run = ch == '`' ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        String fence = "`".repeat(longest + 1);
        String pad = s.startsWith("`") || s.endsWith("`") ? " " : "";
        return fence + pad + s + pad + fence;
    }
}

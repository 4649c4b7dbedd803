"""What a training step spends besides the model's own work, cut to what the SDK reports (docs/BENCHMARKS.md,
"The fixed cost of a step").

TRL's SFTTrainer computes, for every micro-step, the entropy of the predicted distribution over the whole
vocabulary (an extra pass over every logit, run again when its chunked loss recomputes in the backward pass), and
reads three values back from the device (entropy, token accuracy, tokens seen); the Trainer reads two more (a NaN
check of the loss, the input-token count). Every read makes the host wait for the device, so the next micro-step's
kernels cannot be queued while this one runs. The SDK does not report entropy; it reports token accuracy and the
tokens trained. So a trainer made by lean_sft:

- computes the loss without the entropy (TRL's chunked loss, or the model's own), and the token accuracy on the
  device, summing correct and counted tokens over the logging window;
- counts the input tokens on the device too, and settles both counts when it logs (one read and, with several
  processes, one collective a logging step) and before it saves a checkpoint, so resuming sees the right count;
- counts the FLOPs of a micro-step without walking the model's parameters each time.

The figures logged are the same as TRL's but for the accuracy over several micro-steps: TRL averages each
micro-step's ratio, the SDK divides the window's correct tokens by its counted tokens (so a short micro-step does
not weigh as much as a long one). The Trainer's NaN filter is off in every SDK job (training_data.trainer_arguments):
it replaced a NaN loss by the average of earlier ones, which hid a diverged run from the events' NaN check.

TRL's DPOTrainer does the same kind of work every micro-step: the entropy over the whole vocabulary, the mean logit
of the chosen and of the rejected answers (a copy of their logits), and thirteen values read back (entropy, tokens,
four logit sums and counts, token accuracy, four reward figures, two log-probabilities). A trainer made by lean_dpo
computes the standard DPO loss (sigmoid, reverse KL, no length weighting) as TRL does, without the entropy or the
mean logits, and keeps the rewards, reward accuracy, log-probabilities, token accuracy and tokens on the device
over the logging window; other losses are TRL's own. Its logged rewards are means over the window's pairs (TRL's are
means of each micro-step's mean); with one micro-step a log they are the same.
"""
import inspect

LABEL_IGNORED = -100
# TRL's chunked head, per chunk of tokens: (hidden, lm_head weight, bias, labels, logit scale, soft cap)
_CHUNK_PARAMETERS = ["h", "w", "b", "lbl", "logit_scale", "final_logit_softcapping"]


def without_entropy(sft_trainer_module):
    """Replaces TRL's per-chunk loss (sft_trainer._chunk) by the same computation without the entropy, which then
    reads 0; returns False, changing nothing, when that TRL's chunk is not the one this was written against."""
    chunk = getattr(sft_trainer_module, "_chunk", None)
    gather = getattr(sft_trainer_module, "maybe_gather_lm_head_ctx", None)
    if chunk is None or gather is None or getattr(chunk, "_sdk_lean", False):
        return getattr(chunk, "_sdk_lean", False)
    if list(inspect.signature(chunk).parameters) != _CHUNK_PARAMETERS:
        return False
    import torch
    import torch.nn.functional as F

    def lean_chunk(h, w, b, lbl, logit_scale, final_logit_softcapping):
        with gather(w, b):
            logits = (h @ w.to(h.dtype).t()).float()
            if b is not None:
                logits = logits + b.float()
        if logit_scale != 1.0:
            logits = logits * logit_scale
        if final_logit_softcapping is not None:
            logits = final_logit_softcapping * torch.tanh(logits / final_logit_softcapping)
        loss = F.nll_loss(F.log_softmax(logits, dim=-1), lbl, ignore_index=LABEL_IGNORED, reduction="sum")
        correct = ((logits.argmax(dim=-1) == lbl) & (lbl != LABEL_IGNORED)).sum().float()
        return loss, correct, logits.new_zeros(())

    lean_chunk._sdk_lean = True
    sft_trainer_module._chunk = lean_chunk
    return True


def _device_window(trainer_class, size):
    """trainer_class keeping size sums on the device between logs, slot 0 the input tokens the Trainer would count
    (non-padding) with a read every micro-step; _read settles them in one."""
    import torch

    class DeviceWindow(trainer_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._window = torch.zeros(size, dtype=torch.float64, device=self.args.device)
            self._flops_parameters = None

        def _track_num_input_tokens(self, inputs):
            if self.args.include_num_input_tokens_seen == "non_padding" and "attention_mask" in inputs:
                self._window[0] += inputs["attention_mask"].sum().to(self._window.dtype)
            else:
                super()._track_num_input_tokens(inputs)

        def floating_point_ops(self, inputs):
            main = getattr(self.model, "main_input_name", "input_ids")
            if main not in inputs or not hasattr(self.model, "num_parameters"):
                return super().floating_point_ops(inputs)
            if self._flops_parameters is None:
                self._flops_parameters = self.model.num_parameters(exclude_embeddings=True)
            return 6 * inputs[main].numel() * self._flops_parameters

        def _read(self, part):
            """The window's sums in part (a slice), summed over the processes, then zeroed: one read, and one
            collective with several processes."""
            counts = self._window[part]
            if self.args.world_size > 1:
                counts = self.accelerator.reduce(counts.clone(), reduction="sum")
            values = counts.tolist()
            self._window[part] = 0
            return values

        def _settle_tokens(self, tokens):
            if tokens:
                self.state.num_input_tokens_seen += int(tokens)
                self._total_train_tokens += int(tokens) // getattr(self, "_tp_size", 1)

        def _save_checkpoint(self, model, trial):
            # the tokens seen go into the checkpoint's trainer state; the other sums wait for the next log
            self._settle_tokens(self._read(slice(0, 1))[0])
            super()._save_checkpoint(model, trial)

    return DeviceWindow


def lean_sft(trainer_class):
    """trainer_class (TRL's SFTTrainer, or a class made from it) with the per-step cost above cut."""
    import torch
    import transformers

    class LeanSteps(_device_window(trainer_class, 3)):  # input tokens, correct, counted
        def _plain(self):
            """Whether this is the plain causal-LM loss the lean path reproduces (not Liger, DFT, MoE, prompt
            tuning)."""
            return (not self.args.use_liger_kernel and self.args.loss_type in ("nll", "chunked_nll")
                    and not self.aux_loss_enabled and not getattr(self, "num_virtual_tokens", 0))

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            if not model.training or not self._plain() or "shift_labels" in inputs:
                return super().compute_loss(model, inputs, return_outputs=return_outputs,
                                            num_items_in_batch=num_items_in_batch)
            labels = inputs["labels"]
            inputs["use_cache"] = False
            loss, outputs = transformers.Trainer.compute_loss(self, model, inputs, return_outputs=True,
                                                             num_items_in_batch=num_items_in_batch)
            with torch.no_grad():
                if self.args.loss_type == "chunked_nll":
                    correct, counted = outputs.num_correct_tokens, outputs.num_valid_tokens
                else:
                    shifted = labels[..., 1:]
                    mask = shifted != LABEL_IGNORED
                    correct = ((outputs.logits[..., :-1, :].argmax(dim=-1) == shifted) & mask).sum()
                    counted = mask.sum()
                self._window[1] += correct.to(self._window.dtype)
                self._window[2] += counted.to(self._window.dtype)
            return (loss, outputs) if return_outputs else loss

        def log(self, logs, start_time=None):
            if self.model.training:
                tokens, correct, counted = self._read(slice(0, 3))
                self._settle_tokens(tokens)
                metrics = self._metrics["train"]
                if counted:
                    metrics["mean_token_accuracy"] = [correct / counted]
                metrics["num_tokens"] = [self._total_train_tokens]
            super().log(logs, start_time)

    LeanSteps.__name__ = "Lean" + trainer_class.__name__
    return LeanSteps


# the DPO window's slots after the input tokens: pairs, chosen and rejected rewards, pairs whose chosen reward is
# higher, chosen and rejected log-probabilities, correct and counted chosen tokens
_DPO_SUMS = ["pairs", "rewards/chosen", "rewards/rejected", "rewards/accuracies", "logps/chosen", "logps/rejected",
             "correct", "counted"]


def lean_dpo(trainer_class):
    """trainer_class (TRL's DPOTrainer, or a class made from it) with the per-step cost above cut for the standard
    DPO loss; any other loss, and evaluation, run TRL's own computation."""
    import torch
    import torch.nn.functional as F
    from trl.trainer.utils import selective_log_softmax

    class LeanSteps(_device_window(trainer_class, 1 + len(_DPO_SUMS))):
        def _plain(self):
            """Whether this is the loss the lean path reproduces: sigmoid alone, reverse KL, no length weighting,
            no Liger, no MoE auxiliary loss."""
            return (list(self.loss_types) == ["sigmoid"] and self.ld_alpha is None
                    and self.f_divergence_type == "reverse_kl" and not self.use_weighting
                    and not self.use_liger_kernel and not self.aux_loss_enabled)

        def _compute_loss(self, model, inputs, return_outputs):
            if not self.model.training or not self._plain():
                return super()._compute_loss(model, inputs, return_outputs)
            model_kwargs = {k: v for k, v in inputs.items()
                            if k not in ("completion_mask", "ref_chosen_logps", "ref_rejected_logps")}
            model_kwargs["use_cache"] = False
            outputs = model(**model_kwargs)
            shift_logits = outputs.logits[..., :-1, :]
            shift_labels = inputs["input_ids"][..., 1:]
            shift_mask = inputs["completion_mask"][..., 1:]
            per_token = selective_log_softmax(shift_logits, shift_labels)
            per_token[shift_mask == 0] = 0.0
            chosen_logps, rejected_logps = per_token.sum(dim=1).chunk(2, dim=0)
            if self.precompute_ref_logps:
                ref_chosen, ref_rejected = inputs["ref_chosen_logps"], inputs["ref_rejected_logps"]
            else:
                ref_chosen, ref_rejected = self.compute_ref_log_probs(
                    self.model if self.ref_model is None else self.ref_model, inputs)
            chosen_ratio = chosen_logps - ref_chosen
            rejected_ratio = rejected_logps - ref_rejected
            loss = -F.logsigmoid(self.beta * (chosen_ratio - rejected_ratio)).mean() * self.loss_weights[0]
            with torch.no_grad():
                n = chosen_logps.shape[0]
                chosen_rewards = self.beta * chosen_ratio
                rejected_rewards = self.beta * rejected_ratio
                chosen_mask = shift_mask[:n].bool()
                correct = ((shift_logits[:n].argmax(dim=-1) == shift_labels[:n]) & chosen_mask).sum()
                wide = self._window.dtype
                self._window[1:] += torch.stack([t.to(wide).sum() for t in (
                    torch.ones(n, device=self._window.device), chosen_rewards, rejected_rewards,
                    chosen_rewards > rejected_rewards, chosen_logps, rejected_logps, correct, chosen_mask)])
            return (loss, outputs) if return_outputs else loss

        def log(self, logs, start_time=None):
            if self.model.training:
                values = self._read(slice(0, 1 + len(_DPO_SUMS)))
                self._settle_tokens(values[0])
                sums = dict(zip(_DPO_SUMS, values[1:]))
                metrics = self._metrics["train"]
                if sums["pairs"]:
                    for key in ("rewards/chosen", "rewards/rejected", "rewards/accuracies", "logps/chosen",
                                "logps/rejected"):
                        metrics[key] = [sums[key] / sums["pairs"]]
                    metrics["rewards/margins"] = [(sums["rewards/chosen"] - sums["rewards/rejected"])
                                                  / sums["pairs"]]
                if sums["counted"]:
                    metrics["mean_token_accuracy"] = [sums["correct"] / sums["counted"]]
                metrics["num_tokens"] = [self._total_train_tokens]
            super().log(logs, start_time)

    LeanSteps.__name__ = "Lean" + trainer_class.__name__
    return LeanSteps

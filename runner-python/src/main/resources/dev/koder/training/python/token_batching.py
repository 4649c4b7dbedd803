"""Micro-steps sized in tokens, not examples (see docs/PROTOCOL.md, "Micro-steps by tokens").

A job with `micro_batch_tokens` trains each optimiser step on `batch_size` examples (per GPU: batch_size / GPUs),
as a job with micro-steps of examples does, but splits the step's examples into micro-steps by tokens:

- the sampler groups examples of similar length into the same steps (the order is random by megabatch of 50 steps,
  seeded by the job's seed and the epoch, so a resumed job sees the order it would have seen);
- a step's examples, longest first, are cut into micro-steps of at most `micro_batch_tokens` padded tokens (examples
  x the longest of them), each padded to its own longest only;
- every micro-step's loss is its share of the step's loss (token sums over the step's label count, as the Trainer
  computes with gradient accumulation), so the step's gradient is the padded step's gradient up to float rounding.

Attention stays what the model has (SDPA, eager): a micro-step is an ordinary padded batch, so no example sees
another. A DPO job's pairs are grouped by length the same way (length_grouped; TRL's DPO trainer disables
padding-free batches); with micro_batch_tokens its step is cut by pairs: TRL's collated batch holds every pair's
chosen and rejected rows half a batch apart, and a micro-step takes both rows of each of its pairs, its loss (a mean
over pairs) weighed by its share of the step's pairs. With several processes every rank runs as many micro-steps as
the rank that needs the most, so that the collectives of DDP and FSDP line up.
"""
import contextlib

LABEL_IGNORED = -100


def token_chunks(lengths, budget, at_least=1):
    """Groups of row indices, longest rows first, each group's rows x its longest at most budget (a row longer than
    the budget alone); at least at_least groups when there are that many rows, made by splitting the group with the
    most padded tokens."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    groups, current = [], []
    for i in order:
        longest = lengths[current[0]] if current else lengths[i]
        if current and (len(current) + 1) * longest > budget:
            groups.append(current)
            current = []
        current.append(i)
    if current:
        groups.append(current)
    while len(groups) < min(at_least, len(lengths)):
        widest = max((g for g in groups if len(g) > 1), key=lambda g: len(g) * lengths[g[0]])
        at = groups.index(widest)
        half = (len(widest) + 1) // 2
        groups[at:at + 1] = [widest[:half], widest[half:]]
    return groups


def grouped_sampler(lengths, batch_size, seed):
    """A sampler of the dataset's indices with examples of similar length side by side in runs of batch_size, the
    same order for the same seed and epoch (the Trainer calls set_epoch before each epoch, also when resuming)."""
    import torch
    from torch.utils.data import Sampler
    from transformers.trainer_pt_utils import get_length_grouped_indices

    class LengthGrouped(Sampler):
        def __init__(self):
            self.epoch = 0

        def set_epoch(self, epoch):
            self.epoch = int(epoch)

        def __len__(self):
            return len(lengths)

        def __iter__(self):
            generator = torch.Generator().manual_seed(seed * 1_000_003 + self.epoch)
            return iter(get_length_grouped_indices(lengths, batch_size, generator=generator))

    return LengthGrouped()


def example_lengths(dataset):
    """Each example's length as its micro-batch pads it: an SFT row's tokens; a preference pair's prompt with the
    longer of its two answers (TRL's DPO collator pads the chosen and the rejected rows to one width)."""
    columns = dataset.column_names
    if "input_ids" in columns:
        return [len(ids) for ids in dataset["input_ids"]]
    if {"prompt_ids", "chosen_ids", "rejected_ids"} <= set(columns):
        return [len(p) + max(len(c), len(r)) for p, c, r in
                zip(dataset["prompt_ids"], dataset["chosen_ids"], dataset["rejected_ids"])]
    raise ValueError("no token ids to group by length in the columns %s" % sorted(columns))


def length_grouped(trainer_class):
    """trainer_class (a transformers Trainer, TRL's SFTTrainer or DPOTrainer) whose training sampler puts examples of
    similar length in the same micro-batch (grouped_sampler, runs of per_device_train_batch_size): the micro-batches
    of examples a DPO job takes pad little, and a token-budget step (token_budget) holds examples of similar length."""

    class LengthGrouped(trainer_class):
        def _get_train_sampler(self, train_dataset=None):
            dataset = train_dataset if train_dataset is not None else self.train_dataset
            return grouped_sampler(example_lengths(dataset), self.args.per_device_train_batch_size, self.args.seed)

    LengthGrouped.__name__ = "LengthGrouped" + trainer_class.__name__
    return LengthGrouped


class BatchingStats:
    """What the micro-steps held: their count, the tokens they held without padding, and their padded size."""

    def __init__(self):
        self.micro_steps = 0
        self.tokens = 0
        self.padded_tokens = 0

    def add(self, tokens, padded):
        self.micro_steps += 1
        self.tokens += int(tokens)
        self.padded_tokens += int(padded)

    def report(self, budget):
        """The protocol's `batching` fields (docs/PROTOCOL.md)."""
        return {"micro_batch_tokens": budget, "micro_steps": self.micro_steps, "tokens": self.tokens,
                "padded_tokens": self.padded_tokens,
                "padding_fraction": round(1 - self.tokens / self.padded_tokens, 6) if self.padded_tokens else 0.0,
                "tokens_per_micro_step": round(self.tokens / self.micro_steps, 3) if self.micro_steps else 0.0}


def token_budget(trainer_class, pairs=False):
    """trainer_class (a transformers Trainer, TRL's SFTTrainer, or with pairs TRL's DPOTrainer) with micro-steps by
    tokens; construct it with micro_batch_tokens=N and the step's examples as per_device_train_batch_size, gradient
    accumulation 1. With pairs a step's batch is TRL's collated preference batch: its N chosen rows, then its N
    rejected rows; a pair is cut as a whole (its two rows, each as wide as the longer of the two, count for its
    padded tokens), and a micro-step's loss, a mean over its pairs, is weighed by its share of the step's pairs."""

    class TokenBudget(length_grouped(trainer_class)):
        def __init__(self, *args, micro_batch_tokens, **kwargs):
            super().__init__(*args, **kwargs)
            if self.args.gradient_accumulation_steps != 1:
                raise ValueError("micro-steps by tokens take the whole step as one batch: gradient accumulation 1")
            self.micro_batch_tokens = int(micro_batch_tokens)
            self.batching = BatchingStats()
            self._share = None

        def training_step(self, model, inputs, num_items_in_batch=None):
            import torch
            mask = inputs["attention_mask"]
            row_lengths = mask.sum(dim=1).tolist()
            if pairs:
                n = len(row_lengths) // 2
                lengths = [max(row_lengths[i], row_lengths[n + i]) for i in range(n)]
                budget = max(1, self.micro_batch_tokens // 2)
            else:
                n, lengths, budget = len(row_lengths), row_lengths, self.micro_batch_tokens
            at_least = 1
            if self.args.world_size > 1:
                groups = len(token_chunks(lengths, budget))
                count = torch.tensor([groups], device=mask.device)
                torch.distributed.all_reduce(count, op=torch.distributed.ReduceOp.MAX)
                at_least = int(count.item())
            groups = token_chunks(lengths, budget, at_least)
            step_labels = None
            if num_items_in_batch is None and not pairs:
                step_labels = int((inputs["labels"][:, 1:] != LABEL_IGNORED).sum())
            total = None
            for g, group in enumerate(groups):
                width = lengths[group[0]]
                rows = group + [n + i for i in group] if pairs else group
                part = {k: self._part(v, group, rows, n, mask.shape, width) for k, v in inputs.items()}
                self.batching.add(sum(row_lengths[r] for r in rows), len(rows) * width)
                if pairs:
                    self._share = len(group) / max(1, n)
                elif step_labels is not None:
                    # a loss averaged over the micro-step's labels, weighed by its share of the step's
                    self._share = int((part["labels"][:, 1:] != LABEL_IGNORED).sum()) / max(1, step_labels)
                last = g == len(groups) - 1
                sync = contextlib.nullcontext() if last or self.args.world_size <= 1 else self.accelerator.no_sync(model)
                with sync:
                    loss = super().training_step(model, part, num_items_in_batch)
                total = loss if total is None else total + loss
            self._share = None
            return total

        @staticmethod
        def _part(value, group, rows, n, shape, width):
            """A batch entry's rows of one micro-step: a row tensor's rows (cut to the micro-step's width where it
            is as wide as the batch), a pair tensor's pairs (DPO's precomputed reference log-probabilities)."""
            import torch
            if not torch.is_tensor(value) or value.dim() == 0:
                return value
            if value.shape[0] == shape[0]:
                out = value.index_select(0, torch.tensor(rows, device=value.device))
                return out[:, :width] if value.dim() == 2 and value.shape[1] == shape[1] else out
            if pairs and value.shape[0] == n:
                return value.index_select(0, torch.tensor(group, device=value.device))
            return value

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            out = super().compute_loss(model, inputs, return_outputs=return_outputs,
                                       num_items_in_batch=num_items_in_batch)
            if self._share is None or not model.training:
                return out
            return (out[0] * self._share, out[1]) if return_outputs else out * self._share

    TokenBudget.__name__ = "TokenBudget" + trainer_class.__name__
    return TokenBudget

package dev.koder.training.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * The checkpoint registry: every checkpoint jobs write, registered as DRAFT with its files stored as blobs,
 * then approved or deprecated by people. Reached through {@code Training.checkpoints()}.
 */
public interface Checkpoints {

    /** @param query which ones @return a page of checkpoints, newest first */
    Page<Checkpoint> list(CheckpointQuery query);

    /**
     * @param id a checkpoint id
     * @return the checkpoint
     * @throws CheckpointNotFoundException when there is none with this id
     */
    Checkpoint get(String id);

    /**
     * Approves a draft, when the approval policy (the home's {@code training.approval.*} settings) allows it.
     * The gate's verdict is recorded with the move.
     *
     * @param id the checkpoint
     * @param actor who approves it
     * @param reason why (required)
     * @return the checkpoint, approved
     * @throws ApprovalRefusedException when a rule of the approval policy fails; nothing is moved
     * @throws IllegalCheckpointStateException when it is not a draft, or another transition of it won the race
     */
    Checkpoint approve(String id, String actor, String reason);

    /**
     * What the approval gate decides for a checkpoint if this actor approved it now; moves nothing.
     *
     * @param id the checkpoint
     * @param actor who would approve it
     * @return every rule that applies to the checkpoint's tenant, checked
     */
    ApprovalVerdict gate(String id, String actor);

    /**
     * Approves a draft even if the approval gate refuses it: an override. The caller vouches that the actor is an
     * admin (the reference server lets only admin keys do this); the audit trail records the override, the
     * rules that failed and the reason.
     *
     * @param id the checkpoint
     * @param actor the admin who approves it
     * @param reason why the gate is overridden (required)
     * @return the checkpoint, approved
     * @throws IllegalCheckpointStateException when it is not a draft, or another transition of it won the race
     */
    Checkpoint approveOverriding(String id, String actor, String reason);

    /**
     * Deprecates a draft or an approved checkpoint.
     *
     * @param id the checkpoint
     * @param actor who deprecates it
     * @param reason why (required)
     * @return the checkpoint, deprecated
     * @throws IllegalCheckpointStateException when it is already deprecated, or another transition won the race
     */
    Checkpoint deprecate(String id, String actor, String reason);

    /**
     * The chain a checkpoint continues: the checkpoint itself, then the checkpoint its job started from (its
     * lineage's parent), that one's parent, and so on to the one trained from a base model.
     *
     * @param id a checkpoint
     * @return the chain, newest first, starting with this checkpoint; it ends early at a parent no longer registered
     * @throws CheckpointNotFoundException when there is no checkpoint with this id
     */
    List<Checkpoint> ancestry(String id);

    /**
     * Scores a checkpoint and its base model on a held-out data file, and keeps the result with the checkpoint (and
     * sends it to the tracking sinks). The data is checked first like a job's; the figures are over the tokens
     * training learns, cut to the job's {@code max_seq_length}; see {@link Evaluation} for their names. Runs in the
     * caller's thread, in the trainer's Python environment, on CUDA when the machine has it: it takes as long as
     * a forward pass of both models over the data.
     *
     * <p>The approval gate reads the newest evaluation's figures over the checkpoint's own.
     *
     * @param id the checkpoint
     * @param data the file and its format (chat, prompt-completion, alpaca or preference; pairs, groups or scored
     *     pairs for an embedding model or a reranker)
     * @param actor who asks for it
     * @param progress receives lines of progress
     * @return the evaluation, as kept
     * @throws IllegalArgumentException when the file is missing or not valid data of that format, or no actor is
     *     given
     * @throws PluginNotFoundException when no installed runner scores data of that format
     * @throws IllegalStateException when the base model is gone or has changed since the checkpoint was trained
     * @throws TrainerFailedException when scoring fails
     */
    Evaluation evaluate(String id, DatasetRef data, String actor, java.util.function.Consumer<String> progress);

    /** @param id a checkpoint @return its evaluations on demand, oldest first */
    List<Evaluation> evaluations(String id);

    /** @param id a checkpoint @return its registration and every stage move, oldest first */
    List<Checkpoint.Transition> history(String id);

    /**
     * The checkpoint a tenant should use for a base model: its most recently approved one (cached; every
     * transition clears the cache in this process, and other processes' transitions are seen within a few
     * seconds). Another tenant's approvals are never returned.
     *
     * @param tenant whose fine-tunes
     * @param baseModel a base model, as specs name it
     * @return the tenant's approved checkpoint of that model, if one is approved
     */
    Optional<Checkpoint> approved(String tenant, String baseModel);

    /**
     * Copies a checkpoint's files into a folder, verifying every file's size and SHA-256.
     *
     * @param id the checkpoint
     * @param dir the folder (created if needed); files keep their paths inside the checkpoint
     * @param progress told the bytes copied so far
     * @return the folder
     * @throws StorageException when a blob is missing or corrupt; no partly written file is left
     */
    Path download(String id, Path dir, LongConsumer progress);

    /**
     * Exports a checkpoint for serving into a new folder: the adapter as PEFT files (without the trainer's resume
     * state), or, with {@code merged}, the base model with the adapter merged in, as safetensors with the config
     * and tokenizer. Beside them go a model card ({@code README.md}: lineage, metrics, data hashes, approvals) and
     * a manifest with every file's SHA-256 ({@value CheckpointExport#MANIFEST}). Nothing in either depends on when or
     * where the export ran, so exporting the same checkpoint again writes the same bytes.
     *
     * <p>The folder is written whole or not at all: the files go into a hidden sibling folder first, which is
     * renamed into place at the end and deleted on failure.
     *
     * @param id the checkpoint
     * @param dir the folder to create; it must not exist, or be empty
     * @param merged whether to merge an adapter into its base model (done by a runner that offers a merger, on the
     *     CPU; the merged model's outputs are checked against the adapter's)
     * @param progress told the bytes of the checkpoint's files copied so far
     * @return what was written
     * @throws IllegalArgumentException when the folder exists and is not empty
     * @throws StorageException when a blob is missing or corrupt, or the folder cannot be written
     * @throws PluginNotFoundException when merging needs a merger and no installed runner offers one
     * @throws IllegalStateException when the base model to merge into is gone, or is no longer the revision the
     *     checkpoint was trained on
     * @throws TrainerFailedException when the merge fails or its check fails
     */
    CheckpointExport export(String id, Path dir, boolean merged, LongConsumer progress);

    /** @param id a checkpoint @return the exports written of it, oldest first */
    List<CheckpointExport> exports(String id);
}

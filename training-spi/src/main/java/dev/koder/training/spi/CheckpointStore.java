package dev.koder.training.spi;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointExport;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.Evaluation;
import dev.koder.training.api.Page;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The checkpoint registry's records: checkpoints with their files, the blobs they use, every stage move (the audit
 * trail, with who, when, why and the approval gate's rules), evaluations and exports. The registry decides; the store
 * keeps, and makes the decisions that race exact: two moves from one stage, one wins; a registration never points at
 * a blob a garbage collection deleted. Every instance that shares a store sees the same registry.
 *
 * <p>The compatibility kit {@code CheckpointStoreCompatibilityKit} in training-tck checks an implementation.
 */
public interface CheckpointStore extends AutoCloseable {

    /** Checks, inside a registration's transaction, that a blob is (still) stored. */
    @FunctionalInterface
    interface BlobCheck {
        /** @param sha256 a blob @return whether it is stored @throws IOException when the blob store cannot tell */
        boolean stored(String sha256) throws IOException;
    }

    /** Deletes a blob, inside a garbage collection's transaction. */
    @FunctionalInterface
    interface BlobDelete {
        /** @param sha256 a blob nothing refers to @throws IOException when it cannot be deleted */
        void delete(String sha256) throws IOException;
    }

    /** A blob went missing between its upload and the registration (a garbage collection took it). */
    final class BlobMissingException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /** @param sha256 the blob */
        public BlobMissingException(String sha256) {
            super("blob " + sha256 + " is no longer stored");
        }
    }

    /**
     * A checkpoint retention dropped.
     *
     * @param id its id
     * @param source the folder it was registered from
     */
    record Dropped(String id, String source) {
    }

    /**
     * Registers a checkpoint as DRAFT, unless the job already registered this folder; its first transition (none to
     * draft) is its registration.
     *
     * @param c the checkpoint (its stage is ignored: it starts as a draft)
     * @param source the folder it was registered from
     * @param blobs checks, so that no garbage collection runs in between, that every blob is stored
     * @param actor who registers it
     * @param reason why, for its history
     * @return the checkpoint as stored, or the one registered earlier from the same folder
     * @throws BlobMissingException when a blob was collected meanwhile: upload again and retry
     */
    Checkpoint register(Checkpoint c, String source, BlobCheck blobs, String actor, String reason);

    /**
     * Moves a checkpoint's stage if it is still in the stage the caller saw: of two concurrent moves from the same
     * stage exactly one wins. The move joins the checkpoint's history.
     *
     * @param t the move
     * @return the checkpoint after the move
     * @throws dev.koder.training.api.CheckpointNotFoundException when there is no such checkpoint
     * @throws dev.koder.training.api.IllegalCheckpointStateException when the move is not allowed, or the stage is no
     *     longer {@code t.from()}
     */
    Checkpoint transition(Checkpoint.Transition t);

    /** @param id a checkpoint @return it, if registered */
    Optional<Checkpoint> find(String id);

    /** @param jobId a job @param source a folder @return the checkpoint the job registered from it, if any */
    Optional<Checkpoint> bySource(String jobId, String source);

    /** @param q which ones @return a page, newest first; the cursor is the id of its last checkpoint */
    Page<Checkpoint> list(CheckpointQuery q);

    /**
     * @param tenant whose fine-tunes
     * @param baseModel a base model
     * @return the tenant's most recently approved checkpoint of it
     */
    Optional<Checkpoint> approved(String tenant, String baseModel);

    /** @param id a checkpoint @return its registration and stage moves, oldest first */
    List<Checkpoint.Transition> history(String id);

    /**
     * @param e an evaluation of a registered checkpoint
     * @throws dev.koder.training.api.CheckpointNotFoundException when the checkpoint is not registered
     */
    void addEvaluation(Evaluation e);

    /** @param checkpointId a checkpoint @return its evaluations, oldest first */
    List<Evaluation> evaluations(String checkpointId);

    /** @param e an export written of a registered checkpoint */
    void addExport(CheckpointExport e);

    /** @param checkpointId a checkpoint @return the exports written of it, oldest first */
    List<CheckpointExport> exports(String checkpointId);

    /**
     * Deletes a job's intermediate checkpoints beyond the newest {@code keep} (by step), never an approved one, with
     * their files, history, evaluations and exports.
     *
     * @param jobId the job
     * @param keep how many intermediate checkpoints to keep
     * @return those deleted
     */
    List<Dropped> retain(String jobId, int keep);

    /**
     * Deletes every blob no checkpoint refers to, so that no registration runs in between (a registration checks its
     * blobs the same way), so none ends up pointing at a deleted blob.
     *
     * @param delete removes a blob from the blob store
     * @return how many blobs were deleted
     */
    int collectGarbage(BlobDelete delete);

    /** Releases connections. */
    @Override
    void close();
}

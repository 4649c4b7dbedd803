package dev.koder.training.spi;

import dev.koder.training.api.WireName;

/**
 * Where the current attempt of a RUNNING job stands, as the store keeps it. Each phase is stored before the step it
 * leads to is taken, so a service that dies between the two finds, on restart, what it was about to do and whether it
 * may have been done:
 *
 * <ul>
 *   <li>{@link #PLANNED}: the job was given its GPUs; nothing was started. Recovery queues it again.</li>
 *   <li>{@link #LAUNCHING}: a launch token is stored; the executor may have started a trainer with it. Recovery
 *       asks the executor for a trainer by that token ({@link Executor#find}) and adopts it, or queues the job again
 *       when there is none: a trainer is never launched twice.</li>
 *   <li>{@link #RUNNING}: the executor's reference is stored; recovery re-attaches by it.</li>
 *   <li>{@link #FINISHING}: the trainer ended and how the attempt ended is being decided and stored (its usage
 *       charged, its output registered); recovery decides again from the trainer's events.</li>
 *   <li>{@link #ENDED}: the attempt's end is stored; the job is no longer RUNNING.</li>
 * </ul>
 */
public enum AttemptPhase implements WireName {
    /** Given its GPUs; nothing started. */
    PLANNED,
    /** A launch token stored; a trainer may have been started with it. */
    LAUNCHING,
    /** The trainer runs; its reference is stored. */
    RUNNING,
    /** The trainer ended; the attempt's end is being stored. */
    FINISHING,
    /** The attempt's end is stored. */
    ENDED;

    @Override
    public String wireName() {
        return WireName.lower(this);
    }

    /**
     * @param next the phase asked for
     * @return whether an attempt in this phase may move to it (an attempt may end from any phase)
     */
    public boolean canBecome(AttemptPhase next) {
        if (next == ENDED || next == this) {
            return true;
        }
        return switch (this) {
            case PLANNED -> next == LAUNCHING || next == FINISHING;
            case LAUNCHING -> next == RUNNING || next == FINISHING;
            case RUNNING -> next == FINISHING;
            case FINISHING -> false;
            case ENDED -> next == PLANNED;
        };
    }
}

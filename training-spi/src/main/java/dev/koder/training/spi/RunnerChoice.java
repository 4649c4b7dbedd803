package dev.koder.training.spi;

/**
 * How much a runner wants a job when the spec names no runner: the service runs it with the runner of highest
 * rank among those that accept it ({@link TrainingRunner#check} empty), runners passed in code before those
 * found on the class path. The documented order of the SDK's runners: unsloth (30) for LoRA and QLoRA on CUDA
 * where it is installed, axolotl (20) where it is installed, TRL (10) anywhere PyTorch runs.
 *
 * @param rank the preference, higher first; below 0 when the runner cannot run the job on this host
 * @param reason why, in a few words for people (shown in the job's first event, validate and estimate)
 */
public record RunnerChoice(int rank, String reason) {

    /** The default: willing, with no preference. */
    public static final RunnerChoice WILLING = new RunnerChoice(0, "installed");

    /** @param why what is missing on this host @return a choice that rules the runner out */
    public static RunnerChoice unavailable(String why) {
        return new RunnerChoice(-1, why);
    }

    /** @return whether the runner can run the job here */
    public boolean available() {
        return rank >= 0;
    }
}

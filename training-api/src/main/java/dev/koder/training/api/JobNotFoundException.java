package dev.koder.training.api;

/** No job has the given id in this store. Not retriable. */
public class JobNotFoundException extends TrainingException {

    private static final long serialVersionUID = 1L;

    private final String jobId;

    /** @param jobId the id that was looked up */
    public JobNotFoundException(String jobId) {
        super("No job with id '" + jobId + "'", false);
        this.jobId = jobId;
    }

    /** @return the id that was looked up */
    public String jobId() {
        return jobId;
    }
}

package dev.koder.training.core;

import java.time.Duration;

/**
 * How the service runs jobs.
 *
 * @param maxConcurrentJobs trainers run at once by this process
 * @param recovery what to do with jobs whose trainer vanished while the service was down
 * @param cancelGrace time a trainer gets to save a checkpoint after SIGTERM before SIGKILL
 * @param shutdownGrace time trainers get when the service closes
 * @param pollInterval how often events files and cancel requests are looked at
 * @param maxIssues dataset findings listed per file
 * @param runtimeMinute the length of one minute of {@code max_runtime_minutes} (shorter only in tests)
 * @param quotaMargin how far past its reservation a job may run before it is stopped (0.25: 25% more)
 * @param poolRefresh how often the GPU inventory is read
 * @param retry which failed attempts are retried on their own, how often, after what wait
 * @param reconcileInterval how often the worker looks for running jobs that no supervisor of its watches
 * @param registrationWait how long a job's end waits at most for the registrations of its checkpoints
 */
record Settings(int maxConcurrentJobs, RecoveryPolicy recovery, Duration cancelGrace, Duration shutdownGrace,
        Duration pollInterval, int maxIssues, Duration runtimeMinute, double quotaMargin, Duration poolRefresh,
        RetryPolicy retry, Duration reconcileInterval, Duration registrationWait) {

    /**
     * @return the CPU threads a CPU job's trainer may use: this host's cores shared evenly among the trainers run at
     *     once (the CPU slots), at least 1, so that trainers running side by side do not wait on each other
     */
    int cpuThreadsPerJob() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() / maxConcurrentJobs);
    }
}

package dev.smartmq.core.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps a periodic job so that no {@link Throwable} of one run (an {@code Error} such as
 * {@link StackOverflowError} or {@link OutOfMemoryError} included) cancels the later runs: a
 * {@code ScheduledExecutorService} silently stops rescheduling a task whose run threw. The failure is logged
 * at ERROR with the job's name; the next run happens on schedule. Stateless; runs on the scheduler's thread.
 */
final class SurvivingJob implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(SurvivingJob.class);

    private final String name;
    private final Runnable job;

    private SurvivingJob(String name, Runnable job) {
        this.name = name;
        this.job = job;
    }

    static Runnable of(String name, Runnable job) {
        return new SurvivingJob(name, job);
    }

    @Override
    public void run() {
        try {
            job.run();
        } catch (Throwable t) {
            log.error("SmartMQ {} run failed; it runs again at its next tick", name, t);
        }
    }
}

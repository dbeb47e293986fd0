package dev.smartmq.core.internal;

import dev.smartmq.api.Message;
import dev.smartmq.api.SendReceipt;
import dev.smartmq.api.SmartProducer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer callers see: hands every {@code sendAsync} completion to the completion executor, so the
 * caller's dependent stages never run on an engine or adapter I/O thread (the Redis group-commit writer,
 * RocketMQ's callback threads, the engine's timer). A caller that blocks in a callback, or sends synchronously
 * from one, then holds only an executor thread, never the writer every other producer waits on (DESIGN.md §4).
 *
 * <p>Thread rules: thread-safe, stateless apart from its two final fields. {@link #send} runs on the caller's
 * thread as before. If the executor refuses a completion (it was shut down, or a caller-supplied one is
 * saturated) the future is completed on the thread that finished the send rather than never: a stuck caller is
 * worse than a slow writer.
 */
final class CallerCompletions implements SmartProducer {
    private static final Logger log = LoggerFactory.getLogger(CallerCompletions.class);

    private final SmartProducer router;
    private final Executor completions;

    CallerCompletions(SmartProducer router, Executor completions) {
        this.router = router;
        this.completions = completions;
    }

    @Override
    public SendReceipt send(Message message) {
        return router.send(message);
    }

    @Override
    public CompletableFuture<SendReceipt> sendAsync(Message message) {
        CompletableFuture<SendReceipt> internal = router.sendAsync(message);
        if (internal.isDone()) {
            // Finished on this (the caller's) thread, e.g. bad input: nothing internal to protect.
            return internal;
        }
        CompletableFuture<SendReceipt> caller = new CompletableFuture<>();
        internal.whenComplete((receipt, error) -> handOver(caller, receipt, error));
        return caller;
    }

    private void handOver(CompletableFuture<SendReceipt> caller, SendReceipt receipt, Throwable error) {
        // The error as the internal future held it: a CompletionException stays one, so get()/join() report
        // exactly what they reported before the hand-off.
        Runnable complete = error == null ? () -> caller.complete(receipt) : () -> caller.completeExceptionally(error);
        try {
            completions.execute(complete);
        } catch (RejectedExecutionException e) {
            log.debug("SmartMQ: the completion executor refused a sendAsync completion ({}); completing it here",
                    e.toString());
            complete.run();
        }
    }

    @Override
    public void close() {
        router.close();
    }
}

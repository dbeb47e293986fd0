package dev.smartmq.api;

/** What a {@link MessageHandler} says about one message. */
public enum ConsumeResult {
    /** Processed; the message is acknowledged and removed. */
    SUCCESS,
    /** Not processed now; redeliver later with back-off, up to the maximum attempt count, then dead-letter. */
    RETRY_LATER
}

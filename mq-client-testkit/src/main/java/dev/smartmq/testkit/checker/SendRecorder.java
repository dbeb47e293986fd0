package dev.smartmq.testkit.checker;

import dev.smartmq.api.DeliveryException;
import dev.smartmq.api.InvalidMessageException;
import dev.smartmq.api.SendReceipt;

/**
 * Records the producer side of a drill: every send attempt and its outcome.
 *
 * <pre>{@code
 * SendRecorder.Attempt a = checker.beginSend(message.key());
 * try {
 *     a.ok(producer.send(message));
 * } catch (DeliveryException | InvalidMessageException e) {
 *     a.failed(e);                   // the SDK said: not stored
 * }
 * // async:
 * producer.sendAsync(message).whenComplete(checker.beginSend(key)::complete);
 * }</pre>
 */
public interface SendRecorder {

    /**
     * Starts one send attempt (counted as {@code sent}) at the current time. Record exactly one outcome on
     * the returned attempt; an attempt without an outcome stays {@code pending}.
     *
     * @param key the message key, or {@code null}; acknowledged messages with a key get a per-key sequence
     *            number in acknowledgement order, which the order check uses
     */
    Attempt beginSend(String key);

    /** One send attempt. Exactly one outcome method may be called; a second throws {@link IllegalStateException}. */
    interface Attempt {

        /**
         * The SDK acknowledged the message: it is stored on {@code route} ({@code "MQ"} or {@code "FALLBACK"},
         * case-insensitive) under {@code messageId}. Every expected group must receive it.
         */
        void ok(String messageId, String route);

        /** Same as {@link #ok(String, String)} with the receipt's id and route. */
        default void ok(SendReceipt receipt) {
            ok(receipt.messageId(), receipt.route().name());
        }

        /**
         * The SDK said the message was <em>not</em> stored: a {@link DeliveryException} (its message id is
         * remembered, so a later delivery of it is reported as unexpected) or an
         * {@link InvalidMessageException} (bad input; counted as failed but never as unavailability).
         * {@code CompletionException}/{@code ExecutionException} wrappers are looked through.
         */
        void failed(Throwable cause);

        /**
         * The outcome is unknown (for example an async send that timed out): the message may or may not have
         * been stored. Never counted as lost; one unknown send without an id may explain one delivery of an
         * unacknowledged message (see {@link GroupReport#unexpected()}).
         */
        void unknown(Throwable cause);

        /** Same as {@link #unknown(Throwable)} when the message id is known, so its delivery is matched exactly. */
        void unknown(String messageId, Throwable cause);

        /**
         * Records a {@code CompletableFuture}'s outcome, for {@code whenComplete}: a receipt is {@code ok}; a
         * {@link DeliveryException} or {@link InvalidMessageException} (possibly wrapped) is {@code failed};
         * any other exception (a timeout, a cancellation) is {@code unknown}.
         */
        default void complete(SendReceipt receipt, Throwable error) {
            if (error == null) {
                ok(receipt);
            } else if (Causes.find(error, DeliveryException.class) != null
                    || Causes.find(error, InvalidMessageException.class) != null) {
                failed(error);
            } else {
                unknown(error);
            }
        }
    }
}

package dev.smartmq.samples.boot;

/** The event, sent as JSON through the application's ObjectMapper. */
public record OrderPaid(String orderId, long cents) {
}

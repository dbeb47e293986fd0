/**
 * The delivery checker for drills: {@link dev.smartmq.testkit.checker.DeliveryChecker} records every send
 * attempt and every delivery per consumer group, and {@link dev.smartmq.testkit.checker.CheckReport} says
 * what was lost, duplicated, reordered or invented, and how long the MQ was unavailable. Depends only on the
 * JDK and {@code dev.smartmq.api}.
 */
package dev.smartmq.testkit.checker;

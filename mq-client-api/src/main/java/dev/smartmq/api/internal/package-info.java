/**
 * Helpers every SmartMQ module shares ({@link dev.smartmq.api.internal.NamedThreadFactory},
 * {@link dev.smartmq.api.internal.Closeables}), kept here so that no module writes its own copy.
 *
 * <p>Not API: nothing here is covered by compatibility promises; users must not depend on it.
 */
package dev.smartmq.api.internal;

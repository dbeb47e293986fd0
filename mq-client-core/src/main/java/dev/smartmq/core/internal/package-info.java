/**
 * Implementation of the engine: failure detector, router, switch tracker, prober, drain decision and the
 * dual-path consumer. Not API; may change in any release.
 */
package dev.smartmq.core.internal;

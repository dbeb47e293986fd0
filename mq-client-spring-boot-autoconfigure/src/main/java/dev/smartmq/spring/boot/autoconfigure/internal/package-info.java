/** Implementation of the SmartMQ auto-configuration; not API. */
package dev.smartmq.spring.boot.autoconfigure.internal;

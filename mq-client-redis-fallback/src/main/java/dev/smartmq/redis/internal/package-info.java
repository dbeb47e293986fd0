/** Implementation of the Redis fallback store: codecs, key layout, Lua scripts, group-commit writer. Not API. */
package dev.smartmq.redis.internal;

package dev.smartmq.redis.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The HMAC-SHA256 of stored envelopes (format version 2, see {@link EnvelopeCodec}), under one key and bound to
 * one namespace: the MAC covers {@code "smartmq-envelope\0" + namespace + "\0"} followed by the value's bytes up
 * to and including its CRC, so a value copied from another namespace fails as surely as an edited one.
 *
 * <p>Thread-safe: each thread gets its own {@link Mac} (they are not shareable). Holds the key; never prints it.
 */
public final class EnvelopeAuth {

    /** Length of the tag appended to a version-2 value. */
    public static final int TAG_LENGTH = 32;
    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;
    private final byte[] context;
    private final ThreadLocal<Mac> macs;

    public EnvelopeAuth(byte[] key, String namespace) {
        this.key = new SecretKeySpec(key.clone(), ALGORITHM);
        this.context = ("smartmq-envelope\0" + namespace + "\0").getBytes(StandardCharsets.UTF_8);
        this.macs = ThreadLocal.withInitial(this::newMac);
        newMac(); // fail at build time, not on the first append, if the JVM lacks the algorithm
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " is not available in this JVM", e);
        }
    }

    /** The tag of {@code data[0, length)}. */
    byte[] tag(byte[] data, int length) {
        Mac mac = macs.get();
        mac.update(context);
        mac.update(data, 0, length);
        return mac.doFinal();
    }

    /** Whether {@code value} ends with the tag of everything before it (constant-time comparison). */
    boolean verify(byte[] value) {
        int dataLength = value.length - TAG_LENGTH;
        byte[] expected = tag(value, dataLength);
        byte[] actual = new byte[TAG_LENGTH];
        System.arraycopy(value, dataLength, actual, 0, TAG_LENGTH);
        return MessageDigest.isEqual(expected, actual);
    }

    @Override
    public String toString() {
        return "EnvelopeAuth{HMAC-SHA256}";
    }
}

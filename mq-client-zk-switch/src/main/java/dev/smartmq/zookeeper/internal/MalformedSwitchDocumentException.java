package dev.smartmq.zookeeper.internal;

/** A switch document that this client cannot read (bad JSON, unknown state, future version, missing field). */
public final class MalformedSwitchDocumentException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedSwitchDocumentException(String message) {
        super(message);
    }

    public MalformedSwitchDocumentException(String message, Throwable cause) {
        super(message, cause);
    }
}

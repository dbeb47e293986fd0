package dev.smartmq.spi;

import dev.smartmq.api.SmartMQException;

/** The caller's identity may not change the switch (ZooKeeper ACL). Nothing was changed. */
public class SwitchAccessDeniedException extends SmartMQException {
    private static final long serialVersionUID = 1L;

    public SwitchAccessDeniedException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.smartmq.admin;

/** A failure the CLI reports with a clear message and a specific {@link ExitCodes exit code}. */
final class AdminException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    AdminException(int exitCode, String message) {
        this(exitCode, message, null);
    }

    AdminException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    static AdminException usage(String message) {
        return new AdminException(ExitCodes.USAGE, message);
    }

    static AdminException precondition(String message) {
        return new AdminException(ExitCodes.PRECONDITION_FAILED, message);
    }

    int exitCode() {
        return exitCode;
    }
}

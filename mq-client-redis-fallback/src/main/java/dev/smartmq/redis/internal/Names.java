package dev.smartmq.redis.internal;

import java.util.regex.Pattern;

/**
 * The one rule for the topic and group names the store puts into keys: {@code [A-Za-z0-9_-]+} (so a name can
 * hold neither a brace of the hash tag nor the {@code :} separator), plus the reserved
 * {@link KeyLayout#UNCLAIMED_GROUP} where a group is expected.
 *
 * <p>Thread rules: stateless, any thread.
 */
public final class Names {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");

    private Names() {
    }

    /** Whether {@code value} is a legal topic or group name. */
    public static boolean isValid(String value) {
        return value != null && NAME.matcher(value).matches();
    }

    /** Throws {@link IllegalArgumentException} naming {@code field} unless {@code value} is a legal name. */
    public static void checkName(String field, String value) {
        if (!isValid(value)) {
            throw new IllegalArgumentException(field + " must be [A-Za-z0-9_-]+, but was '" + value + "'");
        }
    }

    /** {@link #checkName} for a group, which may also be the reserved {@link KeyLayout#UNCLAIMED_GROUP}. */
    public static void checkGroup(String group) {
        if (!KeyLayout.UNCLAIMED_GROUP.equals(group)) {
            checkName("group", group);
        }
    }
}

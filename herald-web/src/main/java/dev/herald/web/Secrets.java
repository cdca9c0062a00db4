package dev.herald.web;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Secrets on the command lines of {@code herald serve} and {@code herald bank} (database and broker URLs with
 * passwords, API keys). A command-line argument is visible to every user of the machine ({@code ps}, /proc), so each
 * secret can also come from the environment or from a file, and one given as an argument draws a warning that names
 * the alternatives without echoing the secret.
 */
public final class Secrets {
    private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)[?&;]password=[^&;]");

    private Secrets() {}

    /**
     * The secret {@code setting} from its value or its file, whichever is set (both: an IllegalArgumentException
     * naming both). A file is read as UTF-8 and trimmed; one that group or others may read draws a warning.
     *
     * @param fileSetting the file option's name without dashes, e.g. "database-url-file"
     */
    public static String resolve(String setting, String value, String fileSetting, Path file, PrintWriter warnings) {
        boolean hasValue = value != null && !value.isBlank();
        if (file == null || file.toString().isBlank()) {
            return hasValue ? value : null;
        }
        if (hasValue) {
            throw new IllegalArgumentException(setting + " and " + fileSetting + " are both set; give one of them");
        }
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new IllegalArgumentException(fileSetting + " cannot be read: " + file);
        }
        if (content.isEmpty()) {
            throw new IllegalArgumentException(fileSetting + " is empty: " + file);
        }
        if (readableByOthers(file)) {
            warnings.println("WARNING: " + fileSetting + " " + file + " can be read by other users; restrict it with chmod 600");
        }
        return content;
    }

    /** True when group or others may read {@code file} (false where POSIX permissions are not available). */
    public static boolean readableByOthers(Path file) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            return p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** True when {@code url} carries a password ({@code user:password@host} or a {@code password=} parameter). */
    public static boolean hasPassword(String url) {
        if (url == null) {
            return false;
        }
        if (PASSWORD_PARAM.matcher(url).find()) {
            return true;
        }
        String u = url.startsWith("jdbc:") ? url.substring(5) : url;
        try {
            String userInfo = new URI(u).getRawUserInfo();
            return userInfo != null && userInfo.indexOf(':') >= 0 && userInfo.indexOf(':') < userInfo.length() - 1;
        } catch (URISyntaxException e) {
            int at = u.indexOf('@');
            int scheme = u.indexOf("://");
            return at > 0 && scheme >= 0 && u.substring(scheme + 3, at).contains(":"); // unparseable: judge by its shape
        }
    }

    /** Warns that {@code flag} was given as an argument, naming where the secret should come from instead. */
    public static void warnArgument(PrintWriter warnings, String flag, String envVar, String fileFlag) {
        warnings.println("WARNING: " + flag + " on the command line is visible to every user of this machine (ps); set "
                + envVar + " or use " + fileFlag + " instead");
    }
}

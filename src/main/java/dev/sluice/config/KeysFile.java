package dev.sluice.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The file that {@code SLUICE_KEYS_FILE} names: secrets as {@code NAME=value} lines, in the
 * form of a systemd {@code EnvironmentFile} (no {@code export}, no quotes; {@code #} starts a
 * comment line). Its variables take the place of the environment's for what a route's
 * {@code key-env} or {@code url-env} and the access file's {@code jwt.hs256-secret-env} name, and
 * it is read again on a reload, where the environment of a running process cannot change. Never
 * a value in a message.
 */
final class KeysFile {

    static final String VARIABLE = "SLUICE_KEYS_FILE";
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private KeysFile() {}

    /** The variables of the file at {@code path}, in its order. */
    static Map<String, String> read(String path) {
        String where = VARIABLE + " (" + path + ")";
        Path file = Path.of(path);
        List<String> lines;
        try {
            PosixFileAttributeView posix = Files.getFileAttributeView(file,
                    PosixFileAttributeView.class);
            if (posix != null && posix.readAttributes().permissions()
                    .contains(PosixFilePermission.OTHERS_READ)) {
                throw new ConfigException(where + " may be read by every user of this machine: "
                        + "chmod o-r it (0600, or 0640 with the group Sluice runs as)");
            }
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(where + ": cannot read it: " + e);
        }
        Map<String, String> variables = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int equals = line.indexOf('=');
            String name = equals < 0 ? line : line.substring(0, equals).strip();
            if (equals < 0 || !NAME.matcher(name).matches()) {
                throw new ConfigException(where + " line " + (i + 1) + " is not NAME=value");
            }
            if (variables.put(name, line.substring(equals + 1).strip()) != null) {
                throw new ConfigException(where + " line " + (i + 1) + " gives " + name
                        + " again");
            }
        }
        return variables;
    }
}

package dev.sluice.config;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Reads a settings file in the properties format, line for line as {@link Properties#load}
 * reads it, but refuses a key that is given twice, where {@code Properties} would let the later
 * line win without a word.
 */
final class PropertiesFile {

    /** Opens the file to read. */
    @FunctionalInterface
    interface Source {
        Reader open() throws IOException;
    }

    private PropertiesFile() {}

    /**
     * The file's entries.
     *
     * @param setting the setting that names the file, for a message when it cannot be read
     * @param name the file's name in messages
     */
    static Properties read(String setting, String name, Source source) {
        try (BufferedReader reader = new BufferedReader(source.open())) {
            return read(reader, name);
        } catch (ConfigException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(setting + ": cannot read " + name + ": " + e);
        }
    }

    /**
     * Cuts the text into logical lines (a line ending in an odd number of backslashes goes on
     * on the next) and leaves each to {@code Properties}, so escapes, separators and
     * continuations mean what they always meant.
     */
    private static Properties read(BufferedReader reader, String name) throws IOException {
        Properties entries = new Properties();
        Map<String, Integer> lines = new HashMap<>();
        StringBuilder logical = null;
        int first = 0;
        int number = 0;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            number++;
            if (logical == null) {
                int start = 0;
                while (start < line.length() && " \t\f".indexOf(line.charAt(start)) >= 0) {
                    start++; // the white space Properties skips, and no other
                }
                if (start == line.length() || line.charAt(start) == '#'
                        || line.charAt(start) == '!') {
                    continue; // a comment never goes on, whatever it ends with
                }
                logical = new StringBuilder();
                first = number;
            } else {
                logical.append('\n');
            }
            logical.append(line);
            if (!goesOn(line)) {
                add(entries, lines, logical.toString(), first, name);
                logical = null;
            }
        }
        if (logical != null) {
            add(entries, lines, logical.toString(), first, name);
        }
        return entries;
    }

    private static boolean goesOn(String line) {
        int backslashes = 0;
        for (int i = line.length() - 1; i >= 0 && line.charAt(i) == '\\'; i--) {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }

    private static void add(Properties entries, Map<String, Integer> lines, String text, int line,
            String name) throws IOException {
        Properties one = new Properties();
        try {
            one.load(new StringReader(text));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name + ": line " + line + ": " + e.getMessage());
        }
        for (String key : one.stringPropertyNames()) {
            Integer earlier = lines.putIfAbsent(key, line);
            if (earlier != null) {
                throw new ConfigException(name + ": " + key + " is set twice, on line " + earlier
                        + " and on line " + line + "; keep one");
            }
            entries.setProperty(key, one.getProperty(key));
        }
    }
}

package dev.sluice.integration;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server run as a process of its own for a test: its output is copied to a log file and read
 * line by line, so a test waits for the line that says the server is up instead of guessing;
 * closing it stops the process and its children.
 */
final class ServerProcess implements AutoCloseable {

    /** Variables of the caller's shell that would change what the server does. */
    private static final List<String> INHERITED_PREFIXES = List.of("OPENAI_", "ANTHROPIC_",
            "CUSTOMGPT_", "SLUICE_", "CATALINA_", "JETTY_");
    private static final String EXITED = "\0exited";

    private final Process process;
    private final Path log;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread copier;

    private ServerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
        this.copier = Thread.ofVirtual().name("server-output").start(this::copyOutput);
    }

    /**
     * Starts {@code command} in {@code directory}; its environment is this one's, less the
     * variables that configure Sluice or the containers, plus {@code env}.
     */
    static ServerProcess start(List<String> command, Path directory, Map<String, String> env,
            Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
                .redirectErrorStream(true);
        builder.environment().keySet().removeIf(
                name -> INHERITED_PREFIXES.stream().anyMatch(name::startsWith)
                        || name.equals("JAVA_OPTS"));
        builder.environment().putAll(env);
        Files.createDirectories(log.getParent());
        return new ServerProcess(builder.start(), log);
    }

    /** Runs a short command to its end, its output in {@code log}; fails unless it succeeds. */
    static void run(List<String> command, Path directory, Path log) throws Exception {
        Process process = new ProcessBuilder(command).directory(directory.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish in 2 minutes; see " + log);
        }
        if (process.exitValue() != 0) {
            throw new AssertionError(command + " failed with " + process.exitValue() + ": "
                    + Files.readString(log));
        }
    }

    /**
     * Waits for the next output line that {@code line} finds something in, and returns its match;
     * fails if the process ends first or {@code limit} passes.
     */
    Matcher await(Pattern line, Duration limit) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (true) {
            String next = lines.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (next == null) {
                throw new AssertionError("no line matching '" + line + "' within " + limit
                        + "; see " + log);
            }
            if (next.equals(EXITED)) {
                throw new AssertionError("the server exited before a line matching '" + line
                        + "'; see " + log);
            }
            Matcher matcher = line.matcher(next);
            if (matcher.find()) {
                return matcher;
            }
        }
    }

    private void copyOutput() {
        try (BufferedReader output = new BufferedReader(new InputStreamReader(
                        process.getInputStream(), StandardCharsets.UTF_8));
                Writer file = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            for (String line = output.readLine(); line != null; line = output.readLine()) {
                file.write(line);
                file.write('\n');
                file.flush();
                lines.add(line);
            }
        } catch (IOException e) {
            // the process is gone
        }
        lines.add(EXITED);
    }

    /** Everything the server printed so far (all of it, once it is closed). */
    String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        List<ProcessHandle> children = process.descendants().toList();
        // SIGTERM through the handle: Process.destroy() would also close the pipe that the
        // server's last lines, those of its stop, come through.
        process.toHandle().destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        children.forEach(ProcessHandle::destroyForcibly);
        try {
            copier.join(10_000); // what the server said as it stopped is in the log
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

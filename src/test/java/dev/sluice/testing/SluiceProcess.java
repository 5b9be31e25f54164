package dev.sluice.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sluice's main in a JVM of its own, on this test's class path, with only the environment the
 * test gives it: a process that a test can kill with SIGKILL, as a crash would end it.
 */
public final class SluiceProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile(
            "Sluice is listening on (http://127\\.0\\.0\\.1:\\d+/)");
    private static final String EXITED = "\0exited";

    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> output = new ArrayList<>();

    private SluiceProcess(Process process) {
        this.process = process;
        Thread.ofVirtual().name("sluice-process-output").start(this::read);
    }

    /** Starts Sluice on a free loopback port with {@code env} as its whole environment. */
    public static SluiceProcess start(Map<String, String> env) throws IOException {
        return start(env, List.of());
    }

    /** The same, with more JVM options ({@code -Dname=value}). */
    public static SluiceProcess start(Map<String, String> env, List<String> jvmOptions)
            throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-cp",
                System.getProperty("java.class.path"), "-Dsluice.host=127.0.0.1",
                "-Dsluice.port=0"));
        command.addAll(jvmOptions);
        command.add("dev.sluice.server.SluiceServer");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(env);
        return new SluiceProcess(builder.start());
    }

    /** Waits up to 60 s for Sluice to listen, and returns its base URL. */
    public URI awaitListening() throws InterruptedException {
        Matcher found = await(LISTENING, 60);
        return URI.create(found.group(1));
    }

    /** Waits up to {@code seconds} for the process to exit, and returns its exit status. */
    public int awaitExit(int seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("Sluice did not exit in " + seconds + " s: " + output());
        }
        return process.exitValue();
    }

    /** Everything it printed so far. */
    public String output() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    /** Waits up to {@code seconds} for a line in which {@code pattern} is found. */
    public Matcher await(Pattern pattern, int seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            String line = lines.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (line == null || line.equals(EXITED)) {
                throw new AssertionError((line == null ? "no line matching '" + pattern
                        + "' in " + seconds + " s" : "Sluice exited") + ": " + output());
            }
            Matcher matcher = pattern.matcher(line);
            if (matcher.find()) {
                return matcher;
            }
        }
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                synchronized (output) {
                    output.add(line);
                }
                lines.add(line);
            }
        } catch (IOException e) {
            // the process is gone
        }
        lines.add(EXITED);
    }

    /** Sends the process {@code signal} ({@code HUP}, say) by its PID. */
    public void signal(String signal) throws Exception {
        Signals.send(process, "-" + signal);
    }

    /** SIGSTOP: the whole process stands still, as in a long GC pause, until {@link #resume}. */
    public void pause() throws Exception {
        Signals.send(process, "-STOP");
    }

    /** SIGCONT: it goes on where it stood. */
    public void resume() throws Exception {
        Signals.send(process, "-CONT");
    }

    /** SIGKILL: no shutdown hook runs, no lease is given back. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}

package dev.sluice.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the kernel tells of a process under {@code /proc}: CPU time, resident memory, threads. */
final class Proc {

    /** Clock ticks per second of {@code utime} and {@code stime}, from {@code getconf CLK_TCK}. */
    static final long CLOCK_TICKS = clockTicks();

    private Proc() {}

    /** User plus system CPU seconds so far, or 0 when the process is gone. */
    static double cpuSeconds(long pid) {
        return cpuField(pid, 11) + cpuField(pid, 12);
    }

    /** System (kernel) CPU seconds so far, or 0 when the process is gone. */
    static double systemCpuSeconds(long pid) {
        return cpuField(pid, 12);
    }

    private static double cpuField(long pid, int index) {
        String[] fields = statFields(pid);
        // After "pid (comm)": state is field 3, so utime (14) and stime (15) sit at 11 and 12.
        return fields.length < 13 ? 0 : Long.parseLong(fields[index]) / (double) CLOCK_TICKS;
    }

    /** CPU seconds all processes of the machine have spent, summed over its cores. */
    static double machineCpuSeconds() {
        try {
            String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split(" +");
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) { // user nice system irq softirq steal
                busy += Long.parseLong(cpu[i]);
            }
            return busy / (double) CLOCK_TICKS;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** A number from {@code /proc/PID/status}, such as {@code VmRSS} (KiB) or {@code Threads}. */
    static long status(long pid, String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(name + ":")) {
                    return Long.parseLong(line.substring(name.length() + 1).trim().split(" ")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process is gone
        }
        return 0;
    }

    /**
     * Context switches of the process's live threads so far, voluntary (a thread waits, such as
     * for a hand-off from another thread) and not; threads that have exited are not counted.
     */
    static long contextSwitches(long pid) {
        long sum = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(
                Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.contains("ctxt_switches:")) {
                            sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
        return sum;
    }

    /** The processes whose parent is {@code pid}, such as nginx's workers. */
    static List<Long> children(long pid) {
        List<Long> children = new ArrayList<>();
        try (DirectoryStream<Path> all = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path dir : all) {
                long child = Long.parseLong(dir.getFileName().toString());
                String[] fields = statFields(child);
                if (fields.length > 1 && fields[1].equals(Long.toString(pid))) {
                    children.add(child);
                }
            }
        } catch (IOException e) {
            // no /proc: no children to report
        }
        return children;
    }

    /** The fields of {@code /proc/PID/stat} after the command name. */
    private static String[] statFields(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        } catch (IOException | RuntimeException e) {
            return new String[0];
        }
    }

    private static long clockTicks() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").start();
            String out = new String(getconf.getInputStream().readAllBytes()).trim();
            getconf.waitFor();
            return Long.parseLong(out);
        } catch (IOException | NumberFormatException e) {
            return 100; // the value on every Linux this runs on
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}

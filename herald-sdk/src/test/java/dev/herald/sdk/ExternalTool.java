package dev.herald.sdk;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs an implementation that is not ours ({@code openssl}, {@code node}) from a test. Absent tool: the test is skipped
 * with a message, except under {@code CI=true}, where it fails — CI must really check against the other implementation.
 */
final class ExternalTool {
    record Result(int exitCode, String out, String err) {}

    private ExternalTool() {
    }

    /** Skips (or, under CI, fails) unless {@code command --version} runs. */
    static void require(String command, String versionFlag) {
        boolean present;
        try {
            present = run(null, command, versionFlag).exitCode() == 0;
        } catch (RuntimeException e) {
            present = false;
        }
        if (!present) {
            String message = "'" + command + "' is not on the PATH: this check against an independent implementation needs it";
            if ("true".equals(System.getenv("CI"))) {
                fail(message + " (CI=true, so it may not be skipped)");
            }
            Assumptions.abort(message + "; skipped");
        }
    }

    static Result run(Path dir, String... command) {
        List<String> cmd = new ArrayList<>(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        try {
            Path out = Files.createTempFile("herald-tool", ".out");
            Path err = Files.createTempFile("herald-tool", ".err");
            try {
                pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                Process p = pb.start();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", cmd) + " did not finish in 60 s");
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + cmd.getFirst() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

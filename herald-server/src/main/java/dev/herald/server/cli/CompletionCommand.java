package dev.herald.server.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code herald completion bash|zsh}: the shell completion script of every command and option. */
@Command(name = "completion", mixinStandardHelpOptions = true, description = {"Print the shell completion script for bash or zsh.",
        "  source <(herald completion bash)    (or zsh; put it in ~/.bashrc or ~/.zshrc)"})
public final class CompletionCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Parameters(index = "0", description = "bash or zsh.", completionCandidates = Shells.class)
    String shell;

    static final class Shells extends java.util.ArrayList<String> {
        Shells() {
            super(java.util.List.of("bash", "zsh"));
        }
    }

    @Override
    public Integer call() {
        String script = AutoComplete.bash("herald", spec.root().commandLine());
        switch (shell) {
            case "bash" -> spec.commandLine().getOut().print(script);
            // picocli's script serves zsh through its bash completion emulation
            case "zsh" -> spec.commandLine().getOut().print("autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" + script);
            default -> {
                spec.commandLine().getErr().println("herald: completion is for bash or zsh, not '" + shell + "'");
                return 2;
            }
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}

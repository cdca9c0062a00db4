package dev.herald.server;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code herald keys}: API keys from the command line, and the rotation of the master key sealing secrets at rest. */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Make, list and revoke API keys; reset a lost admin key; rotate the master key.",
        subcommands = {ApiKeyCommands.Create.class, ApiKeyCommands.ListKeys.class, ApiKeyCommands.Revoke.class, ResetAdminCommand.class,
                RotateMasterCommand.class})
final class KeysCommand {
    @ParentCommand
    Main main; // the environment; null when parsed on its own
}

package dev.herald.server;

import picocli.CommandLine.Command;

/** {@code herald keys}: API keys from the command line. */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Make, list and revoke API keys.",
        subcommands = {ApiKeyCommands.Create.class, ApiKeyCommands.ListKeys.class, ApiKeyCommands.Revoke.class})
final class KeysCommand {
}

package dev.herald.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code herald resend <delivery>}: one delivery again, with the same webhook-id and a fresh retry budget (audited). */
@Command(name = "resend", mixinStandardHelpOptions = true, description = "Send one delivery again (same webhook-id, fresh retry budget; audited).")
public final class ResendCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Remote remote;
    @Mixin Output output;
    @Parameters(index = "0", description = "The delivery's id.")
    String id;

    @Override
    public Integer call() {
        return Remote.run(spec, () -> {
            Remote.Answer a = remote.send("POST", "/v1/deliveries/" + Remote.enc(id) + "/resend", null);
            if (output.json()) {
                output.raw(a);
            } else {
                JsonNode d = a.json();
                output.out().println("resent " + Output.text(d, "id") + " (" + Output.text(d, "event") + " to " + Output.text(d, "endpoint_id") + "): "
                        + Output.text(d, "status"));
                output.out().flush();
            }
            return 0;
        });
    }
}

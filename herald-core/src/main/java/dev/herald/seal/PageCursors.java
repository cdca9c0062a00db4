package dev.herald.seal;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * Opaque page cursors: a list position sealed under the vault's data key, bound to the list and to the scope (a
 * merchant) it was given to. A cursor reveals nothing of the position (no global sequence numbers, no transaction
 * ids), and another list's or another merchant's cursor does not open — it is as invalid as a made-up one. Every node
 * opens every node's cursors (they share the data keys).
 */
public final class PageCursors {
    /** Longest token {@link #seal} makes for positions of up to 64 characters. */
    public static final int MAX_TOKEN = 256;
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private final Vault vault;

    public PageCursors(Vault vault) {
        this.vault = vault;
    }

    /** The URL-safe token for {@code position} in {@code list}, for {@code scope} only. */
    public String seal(String list, String scope, String position) {
        return ENCODER.encodeToString(vault.sealBytes(position.getBytes(StandardCharsets.UTF_8), where(list, scope)).getBytes(StandardCharsets.US_ASCII));
    }

    /** The position {@code token} stands for, or empty when it is not a token this list gave this scope. */
    public Optional<String> open(String list, String scope, String token) {
        try {
            String sealed = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.US_ASCII);
            return Vault.isSealed(sealed) // openBytes, not open: cursors stay out of the vault's cache of opened secrets
                    ? Optional.of(new String(vault.openBytes(sealed, where(list, scope)), StandardCharsets.UTF_8)) : Optional.empty();
        } catch (IllegalArgumentException | SealException e) {
            return Optional.empty();
        }
    }

    private static SealContext where(String list, String scope) {
        return new SealContext("cursor", list, scope);
    }
}

package dev.herald.server.api;

import dev.herald.Herald;
import dev.herald.seal.PageCursors;
import dev.herald.web.Problem;

/**
 * The page cursors of a list as a caller sees them: the operator (admin, {@code merchant} null) gets positions as they
 * are; a merchant's key gets them sealed for its merchant and that list ({@link PageCursors}), so a cursor says nothing
 * of other merchants' traffic and another merchant's cursor is refused like a made-up one.
 */
final class Cursors {
    private Cursors() {}

    static String out(Herald herald, String list, String merchant, String position) {
        return merchant == null || position == null ? position : herald.cursors().seal(list, merchant, position);
    }

    /** The position of {@code token} (null stays null). */
    static String in(Herald herald, String list, String merchant, String token, String field) {
        if (merchant == null || token == null) {
            return token;
        }
        return herald.cursors().open(list, merchant, token)
                .orElseThrow(() -> Problem.invalid(field + " must be a next_cursor value returned by a previous call", field));
    }

    /** The sequence number {@code token} (a {@code cursor} parameter) stands for (null stays null). */
    static Long seq(Herald herald, String list, String merchant, String token) {
        String position = in(herald, list, merchant, token, "cursor");
        if (position == null) {
            return null;
        }
        try {
            long seq = Long.parseLong(position);
            if (seq > 0) {
                return seq;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw Problem.invalid("cursor must be a next_cursor value returned by a previous call", "cursor");
    }
}

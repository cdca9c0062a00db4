package dev.herald.catalog;

import dev.herald.support.ValidationException;
import java.util.Locale;

/**
 * How ingest treats an event that breaks its type's schema (or has a type the catalog lacks): {@code off} does not
 * look, {@code warn} accepts it and says so in the answer's {@code warnings}, {@code enforce} refuses it with 422.
 */
public enum ValidationMode {
    OFF, WARN, ENFORCE;

    /** The mode's name as the API and the command line spell it. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code off}, {@code warn} or {@code enforce}; anything else is refused naming {@code field}. */
    public static ValidationMode parse(String s, String field) {
        if (s != null) {
            for (ValidationMode m : values()) {
                if (m.wire().equals(s)) {
                    return m;
                }
            }
        }
        throw new ValidationException(field, field + " must be off, warn or enforce, got '" + s + "'");
    }
}

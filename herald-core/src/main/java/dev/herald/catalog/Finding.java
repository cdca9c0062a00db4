package dev.herald.catalog;

/**
 * What the schema check found wrong with one event: {@code field} is {@code event} for a type the catalog lacks, else
 * {@code data} followed by the JSON pointer of the offending value ({@code data/amount}, {@code data} for the object
 * itself; a missing required property is named as the pointer it should have); {@code rule} is the JSON Schema keyword
 * that failed ({@code type}, {@code required}, …) or {@code unknown_type}; {@code detail} says it for a person.
 */
public record Finding(String field, String rule, String detail) {
    /** The rule of a type the catalog does not have. */
    public static final String UNKNOWN_TYPE = "unknown_type";
}

package dev.herald.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * A type of the event catalog: its {@code version} (1 up; raised by a change that would refuse events accepted before),
 * a one-line {@code description}, the JSON Schema (draft 2020-12) of its events' {@code data}, an {@code example}
 * {@code data} that the schema accepts, whether Herald itself emits it ({@code operational}) and when it last changed.
 */
public record EventType(String type, int version, String description, JsonNode schema, JsonNode example, boolean operational,
                        Instant updatedAt) {}

package dev.herald.endpoint;

import dev.herald.support.ValidationException;

/**
 * What counts as an acknowledgement: any 2xx ({@code 2xx}), or a 2xx whose body, trimmed, is exactly a given text
 * ({@code body:success}, as Alipay-style notify URLs answer).
 */
public record AckRule(String body) {
    public static final AckRule ANY_2XX = new AckRule(null);
    private static final String BODY_PREFIX = "body:";

    /** Parses {@code 2xx} or {@code body:<text>} (text 1-100 characters). */
    public static AckRule parse(String spec, String field) {
        if (spec == null || spec.equals("2xx")) {
            return ANY_2XX;
        }
        if (spec.startsWith(BODY_PREFIX) && spec.length() > BODY_PREFIX.length() && spec.length() <= BODY_PREFIX.length() + 100) {
            return new AckRule(spec.substring(BODY_PREFIX.length()));
        }
        throw new ValidationException(field, field + " must be '2xx' or 'body:<text>' (e.g. body:success)");
    }

    /** True when a 2xx answer with this body acknowledges the delivery. */
    public boolean accepts(String responseBody) {
        return body == null || (responseBody != null && responseBody.strip().equals(body));
    }

    @Override
    public String toString() {
        return body == null ? "2xx" : BODY_PREFIX + body;
    }
}

package dev.herald.endpoint;

import dev.herald.sdk.PayloadKey;
import dev.herald.sdk.SignatureSchemes;
import dev.herald.support.ValidationException;
import java.util.List;

/** Validation of an endpoint's signing settings as the API receives them; errors name the JSON field at fault. */
public final class EndpointSigning {
    /** The JSON field of an endpoint's signature schemes. */
    public static final String SCHEMES_FIELD = "signature_schemes";

    private EndpointSigning() {}

    /**
     * The schemes named in {@code signature_schemes}: null (the field absent) is {@link SignatureSchemes#DEFAULT}
     * {@code ["sha256", "v1"]}.
     *
     * @throws ValidationException on field {@code signature_schemes} if the list is empty, repeats a scheme, or names
     *                             one other than {@code sha256}, {@code v1}, {@code v1a}, {@code rsa-sha256}
     */
    public static SignatureSchemes parseSchemes(List<String> names) {
        if (names == null) {
            return SignatureSchemes.DEFAULT;
        }
        try {
            return SignatureSchemes.parse(names);
        } catch (IllegalArgumentException e) {
            throw new ValidationException(SCHEMES_FIELD, e.getMessage());
        }
    }

    /**
     * A payload key a merchant brings (WeChat Pay APIv3 style).
     *
     * @throws ValidationException on {@code field} unless it is 32 printable ASCII characters; the message never contains it
     */
    public static PayloadKey parsePayloadKey(String field, String key) {
        if (key == null) {
            throw new ValidationException(field, "a payload key is required");
        }
        try {
            return PayloadKey.parse(key);
        } catch (IllegalArgumentException e) {
            throw new ValidationException(field, e.getMessage());
        }
    }
}

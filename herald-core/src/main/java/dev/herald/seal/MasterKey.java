package dev.herald.seal;

/**
 * The key that wraps Herald's data keys; it never reaches the database. {@link LocalMasterKey} (environment or file)
 * is the one shipped; an external KMS plugs in here: {@link #wrap} and {@link #unwrap} call the KMS, {@link #id()}
 * names the KMS key (e.g. {@code kms:arn:…/key-1}), and the deployment passes the instance to {@code Herald.Config}.
 *
 * <p>Contract: {@code unwrap(wrap(k))} returns {@code k}; {@code unwrap} of bytes another master key wrapped, or of
 * tampered bytes, throws {@link SealException} (never returns garbage). {@link #id()} is stable for one key, differs
 * between keys, and reveals nothing of the key; it is stored beside each wrapped data key and named in errors.
 * {@code toString()} must not show key material.
 */
public interface MasterKey {
    /** A short, stable, non-secret name of this key (e.g. {@code local-3f9a1c2b7d4e}). */
    String id();

    /** {@code dataKey} encrypted and authenticated under this master key. */
    byte[] wrap(byte[] dataKey);

    /**
     * The data key {@link #wrap} sealed into {@code wrapped}.
     *
     * @throws SealException if {@code wrapped} was not wrapped by this key or was altered
     */
    byte[] unwrap(byte[] wrapped);
}

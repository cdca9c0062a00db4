package dev.herald.seal;

/** The database's data keys were wrapped by another master key than the one given; names both ids, never a key. */
public final class WrongMasterKeyException extends SealException {
    private final String givenId;
    private final String storedId;

    public WrongMasterKeyException(String givenId, String storedId) {
        super("the master key given (id " + givenId + ") is not the one this database's data keys are wrapped with (id " + storedId
                + "); start with that key, or re-wrap with 'herald keys rotate-master'");
        this.givenId = givenId;
        this.storedId = storedId;
    }

    /** The id of the master key that was given. */
    public String givenId() {
        return givenId;
    }

    /** The id of the master key the database expects. */
    public String storedId() {
        return storedId;
    }
}

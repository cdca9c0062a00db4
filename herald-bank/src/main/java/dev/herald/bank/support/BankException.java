package dev.herald.bank.support;

/**
 * A request the bank refuses, with the HTTP status the API answers and the input field at fault (or null). Nothing
 * was changed when one is thrown: the transaction that threw it rolls back.
 */
public final class BankException extends RuntimeException {
    private final int status;
    private final String title;
    private final String field;

    public BankException(int status, String title, String detail, String field) {
        super(detail, null, false, false);
        this.status = status;
        this.title = title;
        this.field = field;
    }

    public static BankException badRequest(String detail, String field) {
        return new BankException(400, "Bad request", detail, field);
    }

    public static BankException invalid(String detail, String field) {
        return new BankException(422, "Invalid field", detail, field);
    }

    public static BankException notFound(String detail, String field) {
        return new BankException(404, "Not found", detail, field);
    }

    public static BankException conflict(String detail, String field) {
        return new BankException(409, "Conflict", detail, field);
    }

    public int status() { return status; }
    public String title() { return title; }
    public String field() { return field; }
}

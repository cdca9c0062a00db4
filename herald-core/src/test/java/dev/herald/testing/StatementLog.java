package dev.herald.testing;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Watches a real {@link DataSource}: while a thread runs {@link #during}, every statement it prepares is noted with the
 * number of rows its queries returned. Everything else passes through untouched; other threads are not watched.
 */
public final class StatementLog {
    /** One statement a watched thread ran, and the rows its query returned (0 for an update). */
    public record Statement(String sql, int rows) {}

    private final ThreadLocal<List<int[]>> rows = new ThreadLocal<>();
    private final ThreadLocal<List<String>> sqls = new ThreadLocal<>();

    /** {@code dataSource}, watched. */
    public DataSource wrap(DataSource dataSource) {
        return proxy(DataSource.class, dataSource, (target, m, args) -> {
            Object out = call(target, m, args);
            return out instanceof Connection c ? connection(c) : out;
        });
    }

    /** The statements {@code work} ran on this thread, in order. */
    public List<Statement> during(Runnable work) {
        sqls.set(new ArrayList<>());
        rows.set(new ArrayList<>());
        try {
            work.run();
            List<Statement> out = new ArrayList<>();
            for (int i = 0; i < sqls.get().size(); i++) {
                out.add(new Statement(sqls.get().get(i), rows.get().get(i)[0]));
            }
            return out;
        } finally {
            sqls.remove();
            rows.remove();
        }
    }

    private Connection connection(Connection c) {
        return proxy(Connection.class, c, (target, m, args) -> {
            Object out = call(target, m, args);
            if (out instanceof PreparedStatement ps && m.getName().equals("prepareStatement") && sqls.get() != null) {
                int[] count = new int[1];
                sqls.get().add((String) args[0]);
                rows.get().add(count);
                return statement(ps, count);
            }
            return out;
        });
    }

    private static PreparedStatement statement(PreparedStatement ps, int[] count) {
        return proxy(PreparedStatement.class, ps, (target, m, args) -> {
            Object out = call(target, m, args);
            return out instanceof ResultSet rs && m.getName().equals("executeQuery") ? resultSet(rs, count) : out;
        });
    }

    private static ResultSet resultSet(ResultSet rs, int[] count) {
        return proxy(ResultSet.class, rs, (target, m, args) -> {
            Object out = call(target, m, args);
            if (m.getName().equals("next") && Boolean.TRUE.equals(out)) {
                count[0]++;
            }
            return out;
        });
    }

    private interface Handler {
        Object handle(Object target, Method m, Object[] args) throws Throwable;
    }

    private static <T> T proxy(Class<T> type, T target, Handler h) {
        InvocationHandler ih = (p, m, args) -> h.handle(target, m, args);
        return type.cast(Proxy.newProxyInstance(StatementLog.class.getClassLoader(), new Class<?>[] {type}, ih));
    }

    private static Object call(Object target, Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}

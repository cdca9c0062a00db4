package dev.herald.bench;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.constructors;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaConstructor;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import org.junit.jupiter.api.Test;

/**
 * The bench's classes, like Herald's (herald-server's ArchitectureTest cannot see them), start threads in {@code start()}
 * or a static factory, never in a constructor: neither directly nor through a method of their own class it calls.
 */
class BenchStructureTest {

    @Test
    void noConstructorStartsAThread() {
        JavaClasses bench = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.herald.bench");
        constructors().that().areDeclaredInClassesThat().resideInAPackage("dev.herald.bench..")
                .should(new ArchCondition<JavaConstructor>("not start a thread (threads start in start())") {
                    @Override
                    public void check(JavaConstructor constructor, ConditionEvents events) {
                        startsThreads(constructor, constructor, new HashSet<>(), events);
                    }
                })
                .check(bench);
    }

    private static void startsThreads(JavaConstructor constructor, JavaCodeUnit code, Set<JavaCodeUnit> seen, ConditionEvents events) {
        if (!seen.add(code)) {
            return;
        }
        for (JavaMethodCall call : code.getMethodCallsFromSelf()) {
            var owner = call.getTargetOwner();
            boolean thread = call.getName().equals("start") && (owner.isAssignableTo(Thread.class) || owner.isAssignableTo(Thread.Builder.class));
            boolean task = (call.getName().equals("execute") && owner.isAssignableTo(Executor.class))
                    || (call.getName().equals("submit") && owner.isAssignableTo(ExecutorService.class));
            if (thread || task) {
                events.add(SimpleConditionEvent.violated(constructor, constructor.getFullName() + " -> " + call.getDescription()));
            } else if (owner.equals(constructor.getOwner())) {
                call.getTarget().resolveMember().ifPresent(m -> startsThreads(constructor, m, seen, events));
            }
        }
    }
}

package dev.herald.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.constructors;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaConstructor;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.domain.PackageMatchers;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The structure Herald stands on, pinned: no package cycles at any level, modules that depend only downwards (the reference bank on
 * the store, the bus and the web conventions, never on the delivery engine), and threads started in {@code start()},
 * never in a constructor.
 */
class ArchitectureTest {
    private static final String[] ENGINE = {"dev.herald", "dev.herald.delivery..", "dev.herald.endpoint..", "dev.herald.event..",
            "dev.herald.http..", "dev.herald.ingest..", "dev.herald.merchant..", "dev.herald.notification..", "dev.herald.seal..", "dev.herald.support..",
            "dev.herald.audit..", "dev.herald.catalog..", "dev.herald.metrics..", "dev.herald.retention..", "dev.herald.stats..", "dev.herald.tracing.."};
    private static JavaClasses classes;

    @BeforeAll
    static void importHerald() {
        ImportOption productionOnly = location -> ImportOption.Predefined.DO_NOT_INCLUDE_TESTS.includes(location)
                && !location.contains("-tests.jar") && !location.contains("/test-classes/");
        classes = new ClassFileImporter().withImportOption(productionOnly).importPackages("dev.herald");
    }

    /**
     * Cycles at every level: each package on its own (so {@code dev.herald.bank} and {@code dev.herald.bank.api} are two
     * slices) and each subtree cut at every depth (so {@code dev.herald.server..} against {@code dev.herald.bank..}, and the
     * root package {@code dev.herald} against both).
     */
    @Test
    void noPackageDependsOnItselfThroughAnother() {
        List<ArchRule> rules = new ArrayList<>(List.of(slices().matching("dev.(**)").should().beFreeOfCycles()));
        int deepest = classes.stream().mapToInt(c -> c.getPackageName().split("\\.").length).max().orElseThrow();
        for (int depth = 3; depth < deepest; depth++) {
            rules.add(slices().assignedFrom(subtreesAt(depth)).should().beFreeOfCycles());
        }
        assertThat(rules).allSatisfy(rule -> assertThat(rule.evaluate(classes).getFailureReport().getDetails()).isEmpty());
    }

    /** Slices of the packages cut after {@code depth} names: {@code a.b.c.d} at depth 3 goes with {@code a.b.c}. */
    private static SliceAssignment subtreesAt(int depth) {
        return new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
                String[] names = javaClass.getPackageName().split("\\.");
                return SliceIdentifier.of(String.join(".", Arrays.copyOf(names, Math.min(depth, names.length))));
            }

            @Override
            public String getDescription() {
                return "packages cut after " + depth + " names";
            }
        };
    }

    @Test
    void theEngineListNamesEveryPackageOfHeraldCore() {
        PackageMatchers engine = PackageMatchers.of(ENGINE);
        assertThat(classes.stream()
                .filter(c -> c.getSource().map(s -> s.getUri().toString().contains("herald-core")).orElse(false))
                .map(JavaClass::getPackageName).distinct())
                .isNotEmpty()
                .allSatisfy(p -> assertThat(engine.test(p)).as("%s is in ENGINE", p).isTrue());
    }

    @Test
    void theStoreDependsOnNoOtherHeraldModule() {
        noClasses().that().resideInAPackage("dev.herald.store..")
                .should().dependOnClassesThat().resideOutsideOfPackages("dev.herald.store..", "java..", "javax..", "org.slf4j..",
                        "com.zaxxer.hikari..", "org.postgresql..", "org.flywaydb..", "org.apache.commons.compress..", "org.tukaani..")
                .check(classes);
    }

    @Test
    void sealingStandsOnTheStoreAndTheJdkOnly() {
        // any repository can take a Vault without a cycle; the crypto is the JDK's (javax.crypto)
        noClasses().that().resideInAPackage("dev.herald.seal..")
                .should().dependOnClassesThat().resideOutsideOfPackages("dev.herald.seal..", "dev.herald.store..", "java..", "javax..",
                        "org.slf4j..")
                .check(classes);
    }

    @Test
    void theWebConventionsStandOnTheStoreOnly() {
        noClasses().that().resideInAPackage("dev.herald.web..")
                .should().dependOnClassesThat().resideInAnyPackage(ENGINE)
                .orShould().dependOnClassesThat().resideInAnyPackage("dev.herald.server..", "dev.herald.bank..", "dev.herald.bus..",
                        "dev.herald.outbox..", "dev.herald.sdk..")
                .check(classes);
    }

    @Test
    void theSdkAndTheBusStandAlone() {
        noClasses().that().resideInAPackage("dev.herald.sdk..")
                .should().dependOnClassesThat().resideOutsideOfPackages("dev.herald.sdk..", "java..", "javax..")
                .check(classes);
        noClasses().that().resideInAnyPackage("dev.herald.bus..", "dev.herald.outbox..")
                .should().dependOnClassesThat().resideInAnyPackage(ENGINE)
                .orShould().dependOnClassesThat().resideInAnyPackage("dev.herald.server..", "dev.herald.bank..", "dev.herald.web..",
                        "dev.herald.store..")
                .check(classes);
    }

    @Test
    void theReferenceBankNeverDependsOnTheDeliveryEngine() {
        noClasses().that().resideInAPackage("dev.herald.bank..")
                .should().dependOnClassesThat().resideInAnyPackage(ENGINE)
                .orShould().dependOnClassesThat().resideInAnyPackage("dev.herald.server..", "org.eclipse.jetty..")
                .check(classes);
    }

    @Test
    void theEngineKnowsNothingOfItsCallers() {
        noClasses().that().resideInAnyPackage(ENGINE)
                .should().dependOnClassesThat().resideInAnyPackage("dev.herald.server..", "dev.herald.bank..", "dev.herald.bus..",
                        "dev.herald.outbox..", "dev.herald.web..", "io.helidon..")
                .check(classes);
    }

    /** Neither directly nor through a method of its own class (the bench's BenchStructureTest holds its classes to the same). */
    @Test
    void noConstructorStartsAThread() {
        constructors().that().areDeclaredInClassesThat().resideInAPackage("dev.herald..")
                .should(new ArchCondition<JavaConstructor>("not start a thread (threads start in start())") {
                    @Override
                    public void check(JavaConstructor constructor, ConditionEvents events) {
                        startsThreads(constructor, constructor, new HashSet<>(), events);
                    }
                })
                .check(classes);
    }

    private static void startsThreads(JavaConstructor constructor, JavaCodeUnit code, Set<JavaCodeUnit> seen, ConditionEvents events) {
        if (!seen.add(code)) {
            return;
        }
        for (JavaMethodCall call : code.getMethodCallsFromSelf()) {
            JavaClass owner = call.getTargetOwner();
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

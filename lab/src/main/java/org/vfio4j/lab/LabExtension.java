package org.vfio4j.lab;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.Optional;

import org.eclipse.jdt.annotation.NonNullByDefault;
import org.eclipse.jdt.annotation.Nullable;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.opentest4j.TestAbortedException;

/**
 * Runs a {@link LabTest} class's body inside the lab host and reports each test's outcome on the
 * build host.
 *
 * <p>On the build host: before the class, {@link InLabRunner} runs the whole class in a lab host,
 * in one JVM (the first class runs all of this JVM's lab classes in one lab host: {@link LabBatch});
 * then every test, lifecycle and template method invocation here is
 * skipped and replaced by the outcome recorded in the lab: success passes, an in-lab failure is
 * rethrown (the original exception when it can be rebuilt, with what the test printed attached as
 * a suppressed exception), an in-lab abort or skip becomes a skip. A lab that crashes or times out
 * fails the class with the lab's message; QEMU is always torn down by {@link Lab}.
 *
 * <p>Inside the lab host (environment variable {@value Lab#ENV} set by the lab's init) tests run
 * normally, and a {@link LabHost} parameter is resolved.
 */
public final class LabExtension implements BeforeAllCallback, InvocationInterceptor, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LabExtension.class);
    private static final String OUTCOMES = "outcomes";

    /** Created by JUnit through {@link LabTest}. */
    public LabExtension() {
    }

    @Override
    @NonNullByDefault({})
    public void beforeAll(ExtensionContext context) {
        if (Lab.inLab() || outcomes(context) != null) {
            return; // in the lab, or a @Nested class whose outer class already ran there
        }
        Class<?> cls = context.getRequiredTestClass();
        if (LabBatch.arch(cls) == LabArch.AARCH64 && !context.getTags().contains(LabArch.AARCH64_TAG)) {
            throw new ExtensionConfigurationException(cls.getName() + " runs in the aarch64 lab but is not tagged '"
                    + LabArch.AARCH64_TAG + "': add @Tag(\"" + LabArch.AARCH64_TAG + "\"). The test command runs the "
                    + "classes so tagged last, once the aarch64 lab it prepares meanwhile is ready");
        }
        LabBatch.ClassOutcomes r = LabBatch.outcomes(context.getRequiredTestClass());
        context.getStore(NS).put(OUTCOMES, new Outcomes(r.byId(), r.jvm()));
    }

    /** The outcomes recorded for this context's class or an enclosing one. */
    private static @Nullable Outcomes outcomes(ExtensionContext context) {
        for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
            Object o = c.get().getStore(NS).get(OUTCOMES);
            if (o instanceof Outcomes found) {
                return found;
            }
        }
        return null;
    }

    private record Outcomes(Map<String, LabOutcome> byId, LabResult jvm) {
    }

    @Override
    @NonNullByDefault({})
    public void interceptTestMethod(Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext context) throws Throwable {
        replay(invocation, context);
    }

    @Override
    @NonNullByDefault({})
    public void interceptTestTemplateMethod(Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext context) throws Throwable {
        replay(invocation, context);
    }

    @Override
    @NonNullByDefault({})
    public <T> T interceptTestFactoryMethod(Invocation<T> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext context) throws Throwable {
        if (Lab.inLab()) {
            return invocation.proceed();
        }
        invocation.skip();
        throw new UnsupportedOperationException("@TestFactory methods cannot be replayed from the lab host;"
                + " use @Test or @ParameterizedTest in @LabTest classes");
    }

    @Override
    @NonNullByDefault({})
    public void interceptBeforeAllMethod(Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext context) throws Throwable {
        onlyInLab(invocation);
    }

    @Override
    @NonNullByDefault({})
    public void interceptBeforeEachMethod(Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext context) throws Throwable {
        onlyInLab(invocation);
    }

    @Override
    @NonNullByDefault({})
    public void interceptAfterEachMethod(Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext context) throws Throwable {
        onlyInLab(invocation);
    }

    @Override
    @NonNullByDefault({})
    public void interceptAfterAllMethod(Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext context) throws Throwable {
        onlyInLab(invocation);
    }

    private static void onlyInLab(Invocation<Void> invocation) throws Throwable {
        if (Lab.inLab()) {
            invocation.proceed();
        } else {
            invocation.skip(); // it ran (or failed) in the lab; its failure is reported with the tests
        }
    }

    private static void replay(Invocation<Void> invocation, ExtensionContext context) throws Throwable {
        if (Lab.inLab()) {
            invocation.proceed();
            return;
        }
        invocation.skip();
        Outcomes all = outcomes(context);
        if (all == null) {
            throw new IllegalStateException("no lab run for " + context.getUniqueId() + "; LabExtension must be"
                    + " registered on the test class (use @LabTest)");
        }
        LabOutcome o = all.byId().get(context.getUniqueId());
        if (o == null) {
            o = failedAncestor(context, all);
        }
        if (o == null) {
            throw new AssertionError(context.getDisplayName() + " did not run in the lab host (the in-lab JVM exited with"
                    + " status " + all.jvm().status() + ")\n--- in-lab output (last lines) ---\n"
                    + LabProcess.lastLines(all.jvm().output(), 60));
        }
        switch (o.status()) {
            case SUCCESSFUL -> { }
            case ABORTED, SKIPPED -> throw new TestAbortedException("in the lab host: " + o.reason());
            case FAILED -> {
                Throwable t = o.rebuild();
                if (!o.output().isBlank()) {
                    t.addSuppressed(new LabOutput(o.output()));
                }
                throw t;
            }
        }
    }

    /** A failed enclosing container (e.g. an in-lab {@code @BeforeAll}) explains a test that never ran. */
    private static @Nullable LabOutcome failedAncestor(ExtensionContext context, Outcomes all) {
        for (Optional<ExtensionContext> c = context.getParent(); c.isPresent(); c = c.get().getParent()) {
            LabOutcome o = all.byId().get(c.get().getUniqueId());
            if (o != null && o.status() == LabOutcome.Status.FAILED) {
                return o;
            }
        }
        return null;
    }

    @Override
    @NonNullByDefault({})
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == LabHost.class;
    }

    @Override
    @NonNullByDefault({})
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        // On the build host the invocation is skipped, so this instance is never used there.
        return new LabHost();
    }

    /** Carries what a failed test printed in the lab host, attached to its failure as a suppressed exception. */
    static final class LabOutput extends Exception {
        private static final long serialVersionUID = 1L;

        LabOutput(String output) {
            super("what the test printed in the lab host:\n" + output, null, false, false);
        }
    }
}

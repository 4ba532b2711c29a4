package densitylab.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Cross-checks {@link Metrics} against scikit-learn fixtures and checks its behavioural properties. */
class MetricsTest {

    private static final double TOL = 1e-9;
    private static final String FIXTURE = "/fixtures/metrics.json";

    record Case(String name, double[] in, double[] out, MetricSet expected) {}

    private static List<Case> cases;

    @BeforeAll
    static void loadFixtures() throws IOException {
        try (InputStream stream = MetricsTest.class.getResourceAsStream(FIXTURE)) {
            assertThat(stream).as("fixture %s on the test classpath", FIXTURE).isNotNull();
            JsonNode root = new ObjectMapper().readTree(stream);
            List<Case> loaded = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                loaded.add(new Case(
                        c.get("name").asText(),
                        toArray(c.get("in")),
                        toArray(c.get("out")),
                        new MetricSet(
                                c.get("auroc").asDouble(),
                                c.get("aupr_in").asDouble(),
                                c.get("aupr_out").asDouble(),
                                c.get("fpr95").asDouble(),
                                c.get("detection_error").asDouble())));
            }
            assertThat(loaded).hasSizeGreaterThanOrEqualTo(12);
            cases = loaded;
        }
    }

    private static double[] toArray(JsonNode node) {
        double[] a = new double[node.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = node.get(i).asDouble();
        }
        return a;
    }

    @TestFactory
    Stream<DynamicTest> matchesSklearn() {
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            MetricSet e = c.expected();
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(Metrics.auroc(c.in(), c.out())).as("auroc").isCloseTo(e.auroc(), within(TOL));
            soft.assertThat(Metrics.auprIn(c.in(), c.out())).as("auprIn").isCloseTo(e.auprIn(), within(TOL));
            soft.assertThat(Metrics.auprOut(c.in(), c.out())).as("auprOut").isCloseTo(e.auprOut(), within(TOL));
            soft.assertThat(Metrics.fpr95(c.in(), c.out())).as("fpr95").isCloseTo(e.fpr95(), within(TOL));
            soft.assertThat(Metrics.detectionError(c.in(), c.out()))
                    .as("detectionError").isCloseTo(e.detectionError(), within(TOL));
            soft.assertThat(Metrics.evaluate(c.in(), c.out())).as("evaluate agrees with the single functions")
                    .isEqualTo(new MetricSet(
                            Metrics.auroc(c.in(), c.out()),
                            Metrics.auprIn(c.in(), c.out()),
                            Metrics.auprOut(c.in(), c.out()),
                            Metrics.fprAtTpr(c.in(), c.out(), 0.95),
                            Metrics.detectionError(c.in(), c.out())));
            soft.assertAll();
        }));
    }

    @TestFactory
    Stream<DynamicTest> swappingTheSetsGivesOneMinusAuroc() {
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            double x = Metrics.auroc(c.in(), c.out());
            assertThat(Metrics.auroc(c.out(), c.in())).isCloseTo(1.0 - x, within(1e-12));
            // Swapping the sets and negating the scores turns AUPR-in into AUPR-out and vice versa.
            assertThat(Metrics.auprIn(negate(c.out()), negate(c.in())))
                    .isCloseTo(Metrics.auprOut(c.in(), c.out()), within(1e-12));
            assertThat(Metrics.auprOut(negate(c.out()), negate(c.in())))
                    .isCloseTo(Metrics.auprIn(c.in(), c.out()), within(1e-12));
        }));
    }

    @TestFactory
    Stream<DynamicTest> monotoneTransformLeavesAllMetricsUnchanged() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases) {
            if (c.name().equals("ties_extreme_magnitudes")) {
                continue; // 1e300 overflows exp / cube; the ranks-only property is covered by the other cases
            }
            tests.add(DynamicTest.dynamicTest(c.name() + " affine", () -> assertInvariant(c, v -> 3.0 * v - 7.0)));
            tests.add(DynamicTest.dynamicTest(c.name() + " exp", () -> assertInvariant(c, v -> Math.exp(v / 4.0))));
            tests.add(DynamicTest.dynamicTest(c.name() + " cube", () -> assertInvariant(c, v -> v * v * v + v)));
        }
        return tests.stream();
    }

    private static void assertInvariant(Case c, DoubleUnaryOperator f) {
        MetricSet before = Metrics.evaluate(c.in(), c.out());
        MetricSet after = Metrics.evaluate(map(c.in(), f), map(c.out(), f));
        assertThat(after.auroc()).isCloseTo(before.auroc(), within(1e-15));
        assertThat(after.auprIn()).isCloseTo(before.auprIn(), within(1e-15));
        assertThat(after.auprOut()).isCloseTo(before.auprOut(), within(1e-15));
        assertThat(after.fpr95()).isCloseTo(before.fpr95(), within(1e-15));
        assertThat(after.detectionError()).isCloseTo(before.detectionError(), within(1e-15));
    }

    @Test
    void nanIsRejectedNamingTheSetAndIndex() {
        double[] ok = {0.1, 0.2, 0.3};
        assertThatThrownBy(() -> Metrics.auroc(ok, new double[] {1.0, 2.0, Double.NaN, Double.NaN}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("out")
                .hasMessageContaining("index 2");
        assertThatThrownBy(() -> Metrics.evaluate(new double[] {Double.NaN}, ok))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("in scores")
                .hasMessageContaining("index 0");
        assertThatThrownBy(() -> Metrics.fpr95(ok, new double[] {Double.NaN}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void emptyArraysAreRejected() {
        double[] ok = {0.1};
        assertThatThrownBy(() -> Metrics.auroc(new double[0], ok))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("in scores must not be empty");
        assertThatThrownBy(() -> Metrics.detectionError(ok, new double[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out scores must not be empty");
    }

    @Test
    void tprOutsideUnitIntervalIsRejected() {
        double[] ok = {0.1, 0.2};
        assertThatThrownBy(() -> Metrics.fprAtTpr(ok, ok, 1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Metrics.fprAtTpr(ok, ok, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Metrics.fprAtTpr(ok, ok, 0.0)).isZero();
        assertThat(Metrics.fprAtTpr(ok, ok, 1.0)).isEqualTo(1.0);
    }

    @Test
    void inputsAreNotModified() {
        double[] in = {3.0, 1.0, 2.0};
        double[] out = {5.0, 0.5, 4.0};
        Metrics.evaluate(in, out);
        assertThat(in).containsExactly(3.0, 1.0, 2.0);
        assertThat(out).containsExactly(5.0, 0.5, 4.0);
    }

    @Test
    void signedZerosTieAndInfinitiesAreOrdered() {
        assertThat(Metrics.auroc(new double[] {0.0}, new double[] {-0.0})).isEqualTo(0.5);
        assertThat(Metrics.auroc(new double[] {Double.NEGATIVE_INFINITY, 0.0},
                new double[] {Double.POSITIVE_INFINITY, 1.0})).isEqualTo(1.0);
    }

    @Test
    void largeRandomCaseHasSaneRangesAndDetectionErrorAtMostHalf() {
        Random rng = new Random(7);
        double[] in = new double[20_000];
        double[] out = new double[15_000];
        for (int i = 0; i < in.length; i++) {
            in[i] = Math.round(rng.nextGaussian() * 20) / 20.0; // plenty of ties
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.round((rng.nextGaussian() + 1.0) * 20) / 20.0;
        }
        MetricSet m = Metrics.evaluate(in, out);
        // AUROC of N(1,1) vs N(0,1) is Phi(1/sqrt 2) ~ 0.760.
        assertThat(m.auroc()).isCloseTo(0.760, within(0.01));
        assertThat(m.detectionError()).isBetween(0.0, 0.5);
        assertThat(m.fpr95()).isBetween(0.0, 1.0);
    }

    private static double[] negate(double[] a) {
        return map(a, v -> -v);
    }

    private static double[] map(double[] a, DoubleUnaryOperator f) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = f.applyAsDouble(a[i]);
        }
        return r;
    }
}

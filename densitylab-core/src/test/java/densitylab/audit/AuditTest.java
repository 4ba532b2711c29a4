package densitylab.audit;

import densitylab.data.DataResolver;
import densitylab.data.Fetcher;
import densitylab.data.ImageSet;
import densitylab.model.GenerativeModel;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The audit's verdicts on fake generators whose truth is known, on real FashionMNIST images. */
class AuditTest {
    @TempDir
    static Path cache;
    static ImageSet train;
    static ImageSet test;
    static Classifiers.Trained classifier;

    /** A "model" that samples images of a fixed pool at random (seeded). */
    record Fake(ImageSet pool) implements GenerativeModel {
        @Override
        public String kind() {
            return "fake";
        }

        @Override
        public int[] shape() {
            return pool.shape();
        }

        @Override
        public ImageSet sample(int n, long seed) {
            Random g = new Random(seed);
            return pool.select(IntStream.range(0, n).map(i -> g.nextInt(pool.size())).toArray()).withoutLabels();
        }

        @Override
        public void save(Path dir) {
            throw new UnsupportedOperationException();
        }
    }

    @BeforeAll
    static void data() throws Exception {
        DataResolver r = new DataResolver(Fetcher.fromEnvironment());
        train = r.load("fashion-mnist", "train").limit(4000);
        test = r.load("fashion-mnist", "test");
        classifier = Classifiers.forTrainingSet(train, test, cache);
    }

    static Audit.Result audit(GenerativeModel model, int samples) {
        List<FeatureSpace> spaces = List.of(new PixelSpace(), new ClassifierSpace(classifier.classifier(), classifier.testAccuracy()));
        Audit.Settings s = Audit.Settings.defaults().withSamples(samples);
        return Audit.run(model, train, test.subset(0, 8000), spaces, classifier.classifier(), classifier.testAccuracy(), s);
    }

    @Test
    void theClassifierLearnsTheLabelsAndIsCachedByTheTrainingData() throws Exception {
        assertThat(classifier.testAccuracy()).isGreaterThan(0.7);
        Classifiers.Trained again = Classifiers.forTrainingSet(train, test, cache);
        assertThat(again.fromCache()).isTrue();
        assertThat(again.dir()).isEqualTo(classifier.dir());
        assertThat(again.classifier().embed(test.limit(50)).values()).containsExactly(classifier.classifier().embed(test.limit(50)).values());
        assertThat(Classifiers.forTrainingSet(train.limit(3000), null, cache).fromCache()).isFalse();
        assertThatThrownBy(() -> Classifiers.forTrainingSet(train.withoutLabels(), null, cache)).hasMessageContaining("no labels");
    }

    @Test
    void aGeneratorThatReturnsTrainingImagesIsMemorizedAndItsSupportIsEstimated() {
        Audit.Result r = audit(new Fake(train.subset(0, 100)), 300);
        for (Audit.SpaceAudit s : r.spaces()) {
            assertThat(s.memorization().memorized()).as(s.name()).isTrue();
            assertThat(s.memorization().fractionBelowP1()).isEqualTo(1.0);
            if (s.metric() == Features.Metric.L1) { // pixels: integers, so a copy is exactly at 0
                assertThat(s.memorization().samples().nearest()).as(s.name()).containsOnly(0.0);
            } else { // a classifier's features of one image may differ in the last float bits from batch to batch
                double typical = median(s.memorization().test().nearest());
                assertThat(java.util.Arrays.stream(s.memorization().samples().nearest()).max().orElseThrow()).as(s.name())
                        .isLessThan(1e-4 * typical);
            }
        }
        assertThat(r.memorized()).isTrue();
        assertThat(r.birthday().samples().isLowerBound()).isFalse();
        assertThat(r.birthday().samples().support()).isBetween(50.0, 200.0);
        assertThat(r.birthday().heldOut().pairs()).isZero();
    }

    @Test
    void aGeneratorThatReturnsHeldOutImagesIsNotMemorizedAndFitsLikeTheFloor() {
        // the audit uses held-out images 0..4999 (5,000 as the memorization reference); the fake draws from others
        Audit.Result r = audit(new Fake(test.subset(8000, 10000)), 300);
        for (Audit.SpaceAudit s : r.spaces()) {
            assertThat(s.memorization().memorized()).as(s.name()).isFalse();
            assertThat(s.memorization().fractionBelowP1()).as(s.name()).isLessThan(Memorization.THRESHOLD);
            assertThat(s.memorization().medianRatio()).as(s.name()).isBetween(0.85, 1.15);
        }
        assertThat(r.coverage().covered()).isEqualTo(10);
        assertThat(r.precisionRecall().samples().precision()).isGreaterThan(0.7);
        assertThat(r.precisionRecall().samples().recall()).isGreaterThan(0.7);
        assertThat(r.frechet().samples()).isLessThan(3 * r.frechet().heldOut());
        // 300 draws with replacement from 2,000 images: about 22 repeated pairs, a support of about 2,000
        assertThat(r.birthday().samples().support()).isBetween(1000.0, 4000.0);
        assertThat(r.birthday().heldOut().pairs()).isZero();
    }

    @Test
    void aGeneratorOfOneClassCoversOneClassAndRecallsLittle() {
        // trousers that the classifier sees as trousers: a generator of one class, as the classifier sees classes (its
        // errors on a class are its own, measured by the held-out coverage)
        int[] predicted = classifier.classifier().predict(test);
        int[] trousers = IntStream.range(8000, 10000).filter(i -> test.label(i) == 1 && predicted[i] == 1).toArray();
        assertThat(trousers.length).isGreaterThan(150);
        Audit.Result r = audit(new Fake(test.select(trousers)), 300);
        assertThat(r.coverage().covered()).isEqualTo(1);
        assertThat(r.coverage().sampleShare()[1]).isGreaterThan(0.9);
        assertThat(r.precisionRecall().samples().recall()).isLessThan(0.3);
        assertThat(r.precisionRecall().heldOut().recall()).isGreaterThan(0.7);
        assertThat(r.memorized()).isFalse();
        assertThat(AuditReport.summary(r)).anyMatch(l -> l.contains("1 of 10 classes covered"));
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        java.util.Arrays.sort(c);
        return c[c.length / 2];
    }
}

package densitylab.audit;

import densitylab.data.ImageSet;
import densitylab.io.ProcessStats;
import densitylab.model.GenerativeModel;
import densitylab.model.LatentModel;
import densitylab.model.Shapes;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sample audit of a model that samples: memorization in every feature space, mode coverage by a classifier,
 * the Frechet distance, precision/recall and the birthday test in the last (semantic) space, each beside the same
 * number for held-out images against held-out images, and interpolations. {@link AuditReport} writes it.
 *
 * <p>The first held-out images (up to {@link Settings#heldOutForDistances}) are the memorization reference: their
 * distances to the training set are what the samples' are compared with, within the classes the classifier predicts.
 * For the distribution fit the held-out set is cut in two halves A and B of the same size as the samples (at most half
 * the set each): the samples are compared with A, and B with A for the floor.
 */
public final class Audit {
    private static final Logger LOG = LoggerFactory.getLogger(Audit.class);

    private Audit() {
    }

    /**
     * What to audit with.
     *
     * @param samples            images drawn from the model
     * @param k                  nearest training images shown and kept per sample
     * @param seed               seeds the samples and the interpolations
     * @param birthdayBatch      s of the birthday test (at most samples)
     * @param gridRows           samples shown with their neighbours
     * @param interpolationRows  lines drawn
     * @param interpolationSteps images per line
     * @param heldOutForDistances held-out images whose nearest training images are the memorization reference (the
     *                           first ones of the held-out set; per class, enough for a 1st percentile)
     */
    public record Settings(int samples, int k, long seed, int birthdayBatch, int gridRows, int interpolationRows,
                           int interpolationSteps, int heldOutForDistances) {
        /** Checks the numbers. */
        public Settings {
            if (samples < 2 || k < 1 || birthdayBatch < 2 || gridRows < 1 || interpolationRows < 1 || interpolationSteps < 2
                    || heldOutForDistances < 1) {
                throw new IllegalArgumentException("audit settings: need samples >= 2, k >= 1, birthday batch >= 2, rows >= 1, "
                        + "steps >= 2, held-out images >= 1");
            }
        }

        /**
         * 1,000 samples, 5 neighbours, seed 0, birthday batches of 500, 10 grid rows, 8 lines of 10 steps, 5,000 held-out
         * images as the memorization reference.
         */
        public static Settings defaults() {
            return new Settings(1000, 5, 0, 500, 10, 8, 10, 5000);
        }

        /** A copy with another number of samples (the birthday batch capped by it). */
        public Settings withSamples(int n) {
            return new Settings(n, k, seed, Math.min(birthdayBatch, n), gridRows, interpolationRows, interpolationSteps,
                    heldOutForDistances);
        }

        /** A copy with another k and seed. */
        public Settings withNeighbours(int newK, long newSeed) {
            return new Settings(samples, newK, newSeed, birthdayBatch, gridRows, interpolationRows, interpolationSteps,
                    heldOutForDistances);
        }
    }

    /**
     * The audit in one feature space.
     *
     * @param neighbours each of the first gridRows samples followed by its k nearest training images (row-major)
     */
    public record SpaceAudit(String name, String description, Features.Metric metric, Memorization memorization,
                             ImageSet neighbours) {
    }

    /** A number for the samples and the same number for held-out images (the floor a perfect model would reach). */
    public record Versus<T>(T samples, T heldOut) {
    }

    /**
     * Everything the audit found.
     *
     * @param coverage        null without a classifier
     * @param testCoverage    the held-out reference images' coverage under the same classifier (its own errors), or null
     * @param classifierAccuracy the classifier's accuracy on held-out images (NaN without labels or classifier)
     * @param latent          latent interpolations, or null for a model without a latent space
     * @param pixel           pixel-space interpolations between the same end points (or between samples)
     * @param closestPairs    the birthday test's closest sample pairs, side by side (row-major pairs)
     * @param seconds         wall time of each stage
     */
    public record Result(String model, Settings settings, ImageSet samples, int trainImages, int heldOutPerHalf, List<SpaceAudit> spaces,
                         String semanticSpace, Coverage coverage, Coverage testCoverage, double classifierAccuracy,
                         Versus<Double> frechet, Versus<PrecisionRecall> precisionRecall, Versus<BirthdayTest> birthday,
                         ImageSet closestPairs, ImageSet latent, ImageSet pixel, Map<String, Double> seconds,
                         long peakResidentBytes) {
        /** The audit in the named space. */
        public SpaceAudit space(String name) {
            return spaces.stream().filter(s -> s.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no feature space " + name));
        }

        /** True when any space finds memorization. */
        public boolean memorized() {
            return spaces.stream().anyMatch(s -> s.memorization().memorized());
        }
    }

    /**
     * Audits model against its training set and held-out images.
     *
     * @param spaces     feature spaces, at least one; the last one is the space of the distribution-fit numbers
     * @param classifier the coverage classifier (null: no coverage)
     * @param classifierAccuracy its held-out accuracy, for the report (NaN when unknown)
     * @throws IllegalArgumentException when the sets' shapes differ from the model's or there are too few held-out
     *                                  images (at least 2 x 4)
     */
    public static Result run(GenerativeModel model, ImageSet train, ImageSet heldOut, List<FeatureSpace> spaces,
                             Classifier classifier, double classifierAccuracy, Settings settings) {
        if (spaces.isEmpty()) {
            throw new IllegalArgumentException("the audit needs at least one feature space");
        }
        Shapes.check(model, train);
        Shapes.check(model, heldOut);
        int half = Math.min(settings.samples(), heldOut.size() / 2);
        if (half < PrecisionRecall.DEFAULT_K + 1) {
            throw new IllegalArgumentException("the audit needs at least " + 2 * (PrecisionRecall.DEFAULT_K + 1)
                    + " held-out images, got " + heldOut.size());
        }
        if (settings.k() > train.size()) {
            throw new IllegalArgumentException("k = " + settings.k() + " exceeds the " + train.size() + " training images");
        }
        ImageSet testA = heldOut.subset(0, half);
        ImageSet testB = heldOut.subset(half, 2 * half);
        ImageSet reference = heldOut.subset(0, Math.max(half, Math.min(heldOut.size(), settings.heldOutForDistances())));
        Map<String, Double> seconds = new LinkedHashMap<>();
        Clock clock = new Clock(seconds);

        LOG.info("drawing {} samples from the {}", settings.samples(), model.kind());
        ImageSet samples = model.sample(settings.samples(), settings.seed());
        clock.lap("sampling");

        int[] sampleClasses = null;
        int[] referenceClasses = null;
        if (classifier != null) {
            sampleClasses = classifier.predict(samples);
            referenceClasses = classifier.predict(reference);
            clock.lap("classes");
        }

        List<SpaceAudit> audits = new ArrayList<>();
        Features sampleF = null;
        Features testAF = null;
        Features testBF = null;
        Memorization lastMemorization = null;
        for (FeatureSpace space : spaces) {
            Features trainF = space.embed(train);
            sampleF = space.embed(samples);
            Features referenceF = space.embed(reference);
            testAF = referenceF.rows(0, half);
            testBF = space.embed(testB);
            clock.lap("features (" + space.name() + ")");
            Neighbours.Result ns = Neighbours.search(sampleF, trainF, settings.k());
            Neighbours.Result nt = Neighbours.search(referenceF, trainF, 1);
            clock.lap("nearest neighbours (" + space.name() + ")");
            lastMemorization = Memorization.of(space.name(), ns, nt, sampleClasses, referenceClasses);
            audits.add(new SpaceAudit(space.name(), space.description(), trainF.metric(), lastMemorization,
                    neighbourGrid(samples, train, ns, settings.gridRows())));
            LOG.info(lastMemorization.verdict());
        }
        String semantic = spaces.get(spaces.size() - 1).name();

        Coverage coverage = null;
        Coverage testCoverage = null;
        if (classifier != null && train.hasLabels()) {
            coverage = Coverage.of(train.labels(), sampleClasses, classifier.classes());
            testCoverage = Coverage.of(train.labels(), referenceClasses, classifier.classes());
        }

        Features firstSamples = sampleF.rows(0, half);
        Versus<Double> fd = new Versus<>(FrechetDistance.of(firstSamples, testAF), FrechetDistance.of(testBF, testAF));
        clock.lap("frechet distance");
        Versus<PrecisionRecall> pr = new Versus<>(PrecisionRecall.of(testAF, firstSamples, PrecisionRecall.DEFAULT_K),
                PrecisionRecall.of(testAF, testBF, PrecisionRecall.DEFAULT_K));
        clock.lap("precision/recall");
        int s = Math.min(settings.birthdayBatch(), half);
        double threshold = lastMemorization.testP1();
        BirthdayTest bs = BirthdayTest.of(sampleF, threshold, Math.min(s, sampleF.count()));
        BirthdayTest bt = BirthdayTest.of(testAF, threshold, s);
        clock.lap("birthday test");

        ImageSet latent = null;
        ImageSet pixel;
        int rows = settings.interpolationRows();
        if (model instanceof LatentModel lm) {
            latent = Interpolations.latent(lm, rows, settings.interpolationSteps(), settings.seed() + 1);
            int steps = settings.interpolationSteps();
            int[] first = new int[rows];
            int[] last = new int[rows];
            for (int r = 0; r < rows; r++) {
                first[r] = r * steps;
                last[r] = r * steps + steps - 1;
            }
            pixel = Interpolations.pixel(latent.select(first), latent.select(last), steps);
        } else {
            int pairs = Math.min(rows, samples.size() / 2);
            pixel = Interpolations.pixel(samples.subset(0, pairs), samples.subset(pairs, 2 * pairs), settings.interpolationSteps());
        }
        clock.lap("interpolations");
        return new Result(model.kind(), settings, samples, train.size(), half, audits, semantic, coverage, testCoverage, classifierAccuracy,
                fd, pr, new Versus<>(bs, bt), pairGrid(samples, bs), latent, pixel, seconds, ProcessStats.peakResidentBytes());
    }

    /** Each of the first rows samples followed by its k nearest training images. */
    static ImageSet neighbourGrid(ImageSet samples, ImageSet train, Neighbours.Result near, int rows) {
        rows = Math.min(rows, samples.size());
        List<ImageSet> parts = new ArrayList<>();
        for (int q = 0; q < rows; q++) {
            parts.add(samples.subset(q, q + 1).withoutLabels());
            int[] idx = new int[near.k()];
            for (int r = 0; r < near.k(); r++) {
                idx[r] = near.index(q, r);
            }
            parts.add(train.select(idx).withoutLabels());
        }
        return ImageSet.concat("samples and their nearest training images", parts);
    }

    /** The closest pairs of the birthday test, side by side. */
    private static ImageSet pairGrid(ImageSet samples, BirthdayTest test) {
        int[] idx = new int[2 * test.closest().size()];
        for (int i = 0; i < test.closest().size(); i++) {
            idx[2 * i] = test.closest().get(i).first();
            idx[2 * i + 1] = test.closest().get(i).second();
        }
        return samples.select(idx).withName("closest sample pairs");
    }

    /** Wall time per stage. */
    private static final class Clock {
        private final Map<String, Double> seconds;
        private long last = System.nanoTime();

        Clock(Map<String, Double> seconds) {
            this.seconds = seconds;
        }

        void lap(String stage) {
            long now = System.nanoTime();
            seconds.merge(stage, (now - last) / 1e9, Double::sum);
            last = now;
        }
    }
}

package densitylab.audit;

import java.util.Locale;

/**
 * Mode coverage: the classes a classifier sees in the samples against the training set's class shares.
 *
 * @param trainShare  each class's share of the training labels
 * @param sampleShare each class's share of the samples' predicted classes
 * @param covered     the classes whose sample share is at least half their training share ({@link #COVERED})
 * @param kl          KL(train || samples) in nats, the sample counts smoothed by +1/2 per class (Jeffreys), so a dropped
 *                    class costs a large but finite amount
 */
public record Coverage(double[] trainShare, double[] sampleShare, int covered, double kl) {
    /** A class is covered when its share of the samples is at least this fraction of its share of the training set. */
    public static final double COVERED = 0.5;

    /**
     * Coverage of predicted sample classes against training labels (both 0..classes-1).
     *
     * @throws IllegalArgumentException for a label or prediction outside 0..classes-1 or an empty input
     */
    public static Coverage of(int[] trainLabels, int[] samplePredictions, int classes) {
        if (trainLabels.length == 0 || samplePredictions.length == 0) {
            throw new IllegalArgumentException("coverage needs training labels and samples");
        }
        double[] train = shares(trainLabels, classes, 0);
        double[] samples = shares(samplePredictions, classes, 0);
        double[] smoothed = shares(samplePredictions, classes, 0.5);
        int covered = 0;
        double kl = 0;
        for (int c = 0; c < classes; c++) {
            covered += train[c] > 0 && samples[c] >= COVERED * train[c] ? 1 : 0;
            if (train[c] > 0) {
                kl += train[c] * Math.log(train[c] / smoothed[c]);
            }
        }
        return new Coverage(train, samples, covered, kl);
    }

    private static double[] shares(int[] classesOf, int classes, double prior) {
        double[] count = new double[classes];
        for (int c : classesOf) {
            if (c < 0 || c >= classes) {
                throw new IllegalArgumentException("class " + c + " outside 0.." + (classes - 1));
            }
            count[c]++;
        }
        double total = classesOf.length + prior * classes;
        for (int c = 0; c < classes; c++) {
            count[c] = (count[c] + prior) / total;
        }
        return count;
    }

    /** The number of classes present in the training set. */
    public int trainClasses() {
        int n = 0;
        for (double s : trainShare) {
            n += s > 0 ? 1 : 0;
        }
        return n;
    }

    /** One line for the terminal and the report. */
    public String summary() {
        return String.format(Locale.ROOT, "%d of %d classes covered (sample share >= %.0f%% of the training share), "
                + "KL(train || samples) %.3f nats", covered, trainClasses(), 100 * COVERED, kl);
    }
}

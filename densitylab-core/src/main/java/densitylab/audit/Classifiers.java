package densitylab.audit;

import densitylab.data.ImageSet;
import densitylab.model.FeatureMap;
import densitylab.train.TrainSettings;
import densitylab.train.Trainer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The audit's classifier for a training set, trained once and cached under
 * {@code CACHE/classifiers/SHA256-KIND/} by the SHA-256 of the training data (pixels and labels), so every audit of
 * models of the same data shares it. A cache folder appears whole or not at all: it is written beside its final name
 * and renamed into place.
 */
public final class Classifiers {
    private static final Logger LOG = LoggerFactory.getLogger(Classifiers.class);
    /** Passes over the training set. */
    public static final int EPOCHS = 3;

    private Classifiers() {
    }

    /** A trained classifier and its accuracy on held-out images (NaN when there were none with labels). */
    public record Trained(Classifier classifier, double testAccuracy, boolean fromCache, Path dir) {
    }

    /**
     * The cached classifier for train, or one trained now ({@value #EPOCHS} epochs of Adam 1e-3, batch 64, seed 0)
     * and cached.
     *
     * @param test labelled held-out images whose accuracy is recorded (may be null)
     * @throws IllegalArgumentException when train has no labels
     */
    public static Trained forTrainingSet(ImageSet train, ImageSet test, Path cacheRoot) throws IOException {
        if (!train.hasLabels()) {
            throw new densitylab.io.SettingException("'" + train.name() + "' has no labels to train the audit's classifier on; "
                    + "take the features from pixels or a VAE run folder instead", "features");
        }
        Path dir = cacheRoot.resolve("classifiers").resolve(train.sha256() + "-" + Classifier.KIND);
        if (Files.isRegularFile(dir.resolve("model.json"))) {
            return cached(dir, test);
        }
        int classes = 0;
        for (int label : train.labels()) {
            if (label < 0) {
                throw new IllegalArgumentException("'" + train.name() + "' has a negative label " + label);
            }
            classes = Math.max(classes, label + 1);
        }
        LOG.info("training the audit's classifier on {} ({} images, {} classes); cached in {}", train.name(), train.size(), classes, dir);
        Classifier c = new Classifier(train.shape(), classes, 0);
        TrainSettings s = TrainSettings.defaults(0).withEpochs(EPOCHS);
        Trainer.Result r;
        try {
            r = new Trainer(s).train(c, train, null);
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        double acc = test != null && test.hasLabels() ? c.accuracy(test) : Double.NaN;
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("train_sha256", train.sha256());
        facts.put("train_images", train.size());
        facts.put("epochs", EPOCHS);
        facts.put("steps", r.steps());
        facts.put("seconds", r.seconds());
        facts.put("test_accuracy", acc);
        Files.createDirectories(dir.getParent());
        Path tmp = Files.createTempDirectory(dir.getParent(), dir.getFileName() + ".tmp");
        try {
            c.save(tmp, facts);
            if (Files.isDirectory(dir) && !Files.isRegularFile(dir.resolve("model.json"))) {
                densitylab.io.Trees.delete(dir); // a leftover without a model (not written by this code's rename)
            }
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir);
            }
        } catch (java.nio.file.FileSystemException e) {
            // another audit renamed its classifier into place first (Linux reports ENOTEMPTY as a plain
            // FileSystemException): use it when it is whole
            if (!Files.isRegularFile(dir.resolve("model.json"))) {
                throw e;
            }
            LOG.info("another process cached a classifier for this set first; keeping it");
        } finally {
            densitylab.io.Trees.delete(tmp);
        }
        return new Trained(c, acc, false, dir);
    }

    /**
     * The classifier an audit cached for train under cacheRoot, if there is one (nothing is trained), as a feature
     * space named by its cache folder; closing it frees the classifier.
     */
    public static java.util.Optional<FeatureMap> cachedFeatures(ImageSet train, Path cacheRoot) throws IOException {
        Path dir = cacheRoot.resolve("classifiers").resolve(train.sha256() + "-" + Classifier.KIND);
        if (!Files.isRegularFile(dir.resolve("model.json"))) {
            return java.util.Optional.empty();
        }
        Classifier c = Classifier.load(dir);
        String name = "audit classifier " + dir.getFileName();
        return java.util.Optional.of(new FeatureMap() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public float[] features(ImageSet images) {
                return c.embed(images).values();
            }

            @Override
            public int dims() {
                return Classifier.FEATURES;
            }

            @Override
            public void close() {
                c.close();
            }
        });
    }

    private static Trained cached(Path dir, ImageSet test) throws IOException {
        Classifier c = Classifier.load(dir);
        double acc = test != null && test.hasLabels() ? c.accuracy(test) : Double.NaN;
        return new Trained(c, acc, true, dir);
    }
}

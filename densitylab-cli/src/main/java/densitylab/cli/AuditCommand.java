package densitylab.cli;

import densitylab.audit.Audit;
import densitylab.audit.AuditReport;
import densitylab.audit.Classifier;
import densitylab.audit.ClassifierSpace;
import densitylab.audit.Classifiers;
import densitylab.audit.EncoderSpace;
import densitylab.audit.FeatureSpace;
import densitylab.audit.PixelSpace;
import densitylab.data.DataResolver;
import densitylab.data.Fetcher;
import densitylab.data.ImageSet;
import densitylab.run.RunFolder;
import densitylab.model.GenerativeModel;
import densitylab.model.vae.AmortizedVae;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code densitylab audit}: does a model copy its training set, drop modes, and how well do its samples fit? */
@Command(name = "audit", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Audit what a trained model samples: each sample's nearest training images in pixel space and in a " +
                "semantic feature space, against held-out images' (memorization, with a verdict), the classes a classifier " +
                "sees in the samples (mode coverage), the Frechet distance, precision/recall and the birthday-paradox support " +
                "size against held-out images (each beside the held-out floor), and latent and pixel interpolations. Writes " +
                "RUN/audit.html and RUN/audit.json.")
final class AuditCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, paramLabel = "DIR", description = "Run folder holding a trained model that samples.")
    Path run;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "1000", description = "Samples to draw (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--features", paramLabel = "classifier|pixel|RUN", defaultValue = "classifier",
            description = "The semantic space beside the pixel space: 'classifier' (a small CNN trained on the training set's " +
                    "labels, cached by the data's SHA-256), 'pixel' (the pixel space only), or a VAE run folder (its encoder " +
                    "means; for sets without labels). Default: ${DEFAULT-VALUE}.")
    String features;

    @Option(names = "--train", paramLabel = "SET", description = "Training set (default: the run's; a catalog name means its train split).")
    String train;

    @Option(names = "--test", paramLabel = "SET", description = "Held-out set (default: the test split of the run's training set).")
    String test;

    @Option(names = "--k", paramLabel = "K", defaultValue = "5", description = "Nearest training images per sample (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the samples and interpolations (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--train-limit", paramLabel = "N", defaultValue = "0", description = "Use the first N training images only (0 = all).")
    int trainLimit;

    @Option(names = "--test-limit", paramLabel = "N", defaultValue = "0", description = "Use the first N held-out images only (0 = all).")
    int testLimit;

    @Option(names = "--classifier-cache", paramLabel = "DIR",
            description = "Where trained audit classifiers are cached (default: the data cache, DENSITYLAB_DATA or ~/.cache/densitylab).")
    Path classifierCache;

    @Mixin
    DataOptions dataOptions;

    @Override
    public Integer call() throws Exception {
        RunFolder rf = new RunFolder(run);
        GenerativeModel model = rf.loadModel();
        String trainSpec = train != null ? train : rf.trainingSpec("the audit (or give --train SET)");
        String testSpec = test != null ? test : trainSpec;
        DataResolver r = dataOptions.resolver();
        ImageSet trainSet = dataOptions.loadFor(r, trainSpec, "train", model.shape(), trainLimit);
        ImageSet testSet = dataOptions.loadFor(r, testSpec, "test", model.shape(), testLimit);
        if (trainSet.sha256().equals(testSet.sha256())) {
            throw new IllegalArgumentException("--train and --test are the same images; give a held-out set with --test");
        }
        EncoderSpace encoderSpace = null;
        if (!features.equals("classifier") && !features.equals("pixel")) {
            GenerativeModel vae = new RunFolder(Path.of(features)).loadModel();
            if (!(vae instanceof AmortizedVae encoder)) {
                throw new IllegalArgumentException("--features " + features + ": that run holds a " + vae.kind() + ", not a VAE");
            }
            encoderSpace = new EncoderSpace(encoder, features);
        }
        List<FeatureSpace> spaces = new ArrayList<>(List.of(new PixelSpace()));
        Classifier classifier = null;
        double accuracy = Double.NaN;
        if (trainSet.hasLabels() && !features.equals("pixel") || features.equals("classifier")) {
            Classifiers.Trained t = Classifiers.forTrainingSet(trainSet, testSet,
                    classifierCache != null ? classifierCache : Fetcher.defaultCacheDir());
            classifier = t.classifier();
            accuracy = t.testAccuracy();
            System.out.printf(Locale.ROOT, "classifier: %s (%s), held-out accuracy %.3f%n", t.dir(),
                    t.fromCache() ? "cached" : "trained now", accuracy);
        }
        if (features.equals("classifier")) {
            spaces.add(new ClassifierSpace(classifier, accuracy));
        } else if (encoderSpace != null) {
            spaces.add(encoderSpace);
        }
        Audit.Settings settings = Audit.Settings.defaults().withSamples(samples);
        settings = settings.withNeighbours(k, seed);
        long start = System.nanoTime();
        Audit.Result result = Audit.run(model, trainSet, testSet, spaces, classifier, accuracy, settings);
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("run", run.toAbsolutePath().toString());
        provenance.put("model", model.kind());
        provenance.put("train", RunFolder.describe(trainSpec, trainSet));
        provenance.put("test", RunFolder.describe(testSpec, testSet));
        provenance.put("features", features);
        provenance.put("audit_seconds", seconds);
        provenance.put("versions", RunFolder.versions());
        Path html = run.resolve("audit.html");
        DataResolver.Spec parsed = DataResolver.parse(trainSpec);
        List<String> classNames = parsed.isPath() ? List.of() : densitylab.data.Catalog.classNames(parsed.base());
        AuditReport.write(result, html, run.resolve("audit.json"), provenance, classNames);
        AuditReport.summary(result).forEach(System.out::println);
        System.out.printf(Locale.ROOT, "audit took %.1f s (peak resident memory %.2f GB) -> %s%n", seconds,
                result.peakResidentBytes() / 1e9, html);
        return 0;
    }
}

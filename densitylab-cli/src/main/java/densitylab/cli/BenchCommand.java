package densitylab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import densitylab.data.DataResolver;
import densitylab.data.ImageSet;
import densitylab.io.ProcessStats;
import densitylab.model.DensityModel;
import densitylab.model.GenerativeModel;
import densitylab.model.ModelKind;
import densitylab.train.TrainSettings;
import densitylab.model.TrainedModel;
import densitylab.nn.Units;
import densitylab.model.registry.ModelKinds;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code densitylab bench}: training and scoring speed of a model, as one JSON line. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a model for a fixed time and score test images; print one JSON line with training and " +
                "scoring images/s and the bits/dim reached. bench/compare_glow.sh runs it alternately with the " +
                "PyTorch reference in bench/pytorch/glow.py on the same data, threads and batch size.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "glow", paramLabel = "NAME", description = "Model kind (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--data", defaultValue = "fashion-mnist", paramLabel = "SET", description = "Catalog set (default: ${DEFAULT-VALUE}).")
    String data;

    @Option(names = "--seconds", defaultValue = "120", paramLabel = "S", description = "Training time (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--score-images", defaultValue = "2000", paramLabel = "N", description = "Test images to score (default: ${DEFAULT-VALUE}).")
    int scoreImages;

    @Option(names = "--score-passes", defaultValue = "3", paramLabel = "N", description = "Timed passes over the score " +
            "images after one untimed warm-up batch; the median pass's images/s is reported, the lower middle one for an even N " +
            "(default: ${DEFAULT-VALUE}; " +
            "one pass of 10,000 images takes about a second and varies by 5-10%% between runs).")
    int scorePasses;

    @Option(names = "--batch-size", defaultValue = "64", paramLabel = "B", description = "Training batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", paramLabel = "LR", description = "Learning rate (default: the model's: 1e-3, GANs 2e-4).")
    Double lr;

    @Option(names = "--workers", defaultValue = "0", paramLabel = "N", description = "Gradient threads as in train " +
            "(default: ${DEFAULT-VALUE}, automatic).")
    int workers;

    @Option(names = "--param", paramLabel = "KEY=VALUE", description = "Model hyper-parameter (repeatable).")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed.")
    long seed;

    @Option(names = "--profile", paramLabel = "FILE", description = "Record every libtorch op of the training (not the " +
            "scoring) with libtorch's profiler and write the trace (Chrome JSON) to FILE; bench/profile_compare.py sums " +
            "it per op against bench/pytorch/glow.py --profile. It slows each op down: use a short --seconds.")
    java.nio.file.Path profile;

    @Option(names = "--profile-shapes", description = "With --profile: record each op's input shapes too (shows which " +
            "arrays an op copies; slower still).")
    boolean profileShapes;

    @Mixin
    DataOptions dataOptions;

    @Override
    public Integer call() throws Exception {
        if (scorePasses < 1) {
            throw new IllegalArgumentException("--score-passes must be >= 1, got " + scorePasses);
        }
        if (profileShapes && profile == null) {
            throw new IllegalArgumentException("--profile-shapes records shapes into the --profile trace; give --profile FILE too");
        }
        ModelKind kind = ModelKinds.get(model);
        DataResolver r = dataOptions.resolver();
        ImageSet train = r.load(data + ":train", "train");
        ImageSet test = r.load(data + ":test", "test").limit(scoreImages);
        TrainSettings s = new TrainSettings(seed, TrainSettings.NO_EPOCH_LIMIT, seconds / 60.0, batchSize,
                lr != null ? lr : kind.defaultLearningRate(), 200, 50, null, 3600, false, params,
                workers);
        if (profile != null) {
            java.nio.file.Path parent = profile.toAbsolutePath().getParent();
            java.nio.file.Files.createDirectories(parent);
            ai.djl.engine.Engine.getEngine("PyTorch"); // loads the native library the profiler lives in
            ai.djl.pytorch.jni.JniUtils.startProfile(false, profileShapes, false);
        }
        ProcessStats beforeTraining = ProcessStats.read();
        long t0 = System.nanoTime();
        TrainedModel trained;
        double trainSecs;
        try {
            trained = kind.train(train, null, s);
            trainSecs = (System.nanoTime() - t0) / 1e9;
        } finally {
            if (profile != null) {
                ai.djl.pytorch.jni.JniUtils.stopProfile(profile.toString());
            }
        }
        ProcessStats training = ProcessStats.read().since(beforeTraining);
        GenerativeModel m = trained.model();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("impl", "densitylab");
        out.put("model", model);
        out.put("params", params);
        if (m instanceof densitylab.train.TrainableModel t) {
            long total = 0;
            for (densitylab.train.Player player : t.players()) {
                long n = player.parameters().stream().mapToLong(p -> p.getShape().size()).sum();
                total += n;
                if (t.players().size() > 1) {
                    out.put(player.name() + "_param_count", n);
                }
            }
            out.put("param_count", total);
        }
        out.put("threads", Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors()));
        out.put("batch", batchSize);
        out.put("workers", workers == TrainSettings.AUTO_WORKERS ? "auto" : workers);
        out.put("train_seconds", trainSecs);
        put(out, "train", training);
        java.util.function.Function<ImageSet, double[]> scorer = m instanceof DensityModel d ? d::bitsPerDim
                : m instanceof densitylab.model.gan.GanModel g ? g::discriminatorScore : null;
        if (scorer != null) {
            scorer.apply(test.limit(256)); // warm-up
            double[] rates = new double[scorePasses];
            double mean = Double.NaN;
            ProcessStats beforeScoring = ProcessStats.read();
            for (int i = 0; i < scorePasses; i++) {
                long t1 = System.nanoTime();
                mean = Units.mean(scorer.apply(test));
                rates[i] = test.size() / ((System.nanoTime() - t1) / 1e9);
            }
            double[] sorted = rates.clone();
            Arrays.sort(sorted);
            out.put("score_images_per_s", sorted[(scorePasses - 1) / 2]);
            out.put("score_images_per_s_passes", rates);
            out.put(m instanceof DensityModel ? "test_bpd" : "test_mean_discriminator_score", mean);
            put(out, "score", ProcessStats.read().since(beforeScoring));
        }
        if (trained.training() != null && trained.training().epochLosses().size() > 1) {
            out.put("epoch_losses", trained.training().epochLosses());
        }
        if (trained.training() != null) {
            out.put("train_images_per_s", trained.training().imagesPerSecond());
            out.put("steps", trained.training().steps());
        }
        System.out.println(new ObjectMapper().writeValueAsString(out));
        return 0;
    }

    /**
     * PHASE_minor_faults and PHASE_system_seconds, when known. Expected orders of magnitude (docs/performance.md):
     * tens of thousands of faults and well under a second of system time per minute of training or scoring;
     * millions of faults mean the allocator is handing memory back to the kernel and faulting it in again.
     */
    private static void put(Map<String, Object> out, String phase, ProcessStats s) {
        if (s.minorFaults() >= 0) {
            out.put(phase + "_minor_faults", s.minorFaults());
            out.put(phase + "_system_seconds", s.systemSeconds());
        }
    }
}

package densitylab.audit;

import densitylab.data.ImageSet;
import densitylab.nn.MemoryLayout;
import densitylab.nn.ModelFiles;
import densitylab.nn.Noise;
import densitylab.nn.ParamFactory;
import densitylab.nn.Scalars;
import densitylab.nn.Scopes;
import densitylab.train.SingleLossModel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small image classifier whose penultimate layer is the audit's semantic feature space: two 3x3 convolutions
 * (16 and 32 channels, ReLU, 2x2 max-pooling each), a fully connected layer of {@value #FEATURES} ReLU units (the
 * features) and a linear layer to the classes. Trained by the shared Trainer on cross-entropy of the labels (a
 * {@link SingleLossModel} whose player {@link #needsLabels() needs labels}); {@link Classifiers} trains one per
 * training set and caches it.
 */
public final class Classifier implements SingleLossModel, AutoCloseable {
    /** Width of the feature layer. */
    public static final int FEATURES = 128;
    /** Kind name in model.json; the cache key includes it, so a change of architecture retrains. */
    static final String KIND = "audit-classifier-v1";
    private static final Shape K3 = new Shape(3, 3);
    private static final Shape ONE = new Shape(1, 1);
    private static final Shape POOL = new Shape(2, 2);
    private static final int BATCH = 512;

    private final int[] shape;
    private final int classes;
    private final NDManager manager;
    private final List<NDArray> parameters = new ArrayList<>();
    private final NDArray w1, b1, w2, b2, wf, bf, wc, bc;

    /**
     * An untrained classifier of images of shape [C, H, W] (H and W divisible by 4) into classes 0..classes-1.
     *
     * @throws IllegalArgumentException for fewer than 2 classes or sides not divisible by 4
     */
    public Classifier(int[] shape, int classes, long seed) {
        if (classes < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes);
        }
        if (shape[1] % 4 != 0 || shape[2] % 4 != 0) {
            throw new IllegalArgumentException("the audit classifier needs sides divisible by 4, got " + shape[1] + "x" + shape[2]);
        }
        this.shape = shape.clone();
        this.classes = classes;
        manager = NDManager.newBaseManager();
        ParamFactory f = new ParamFactory(manager, seed);
        int flat = 32 * (shape[1] / 4) * (shape[2] / 4);
        w1 = add(f.normal(Math.sqrt(2.0 / (9 * shape[0])), 16, shape[0], 3, 3));
        b1 = add(f.zeros(16));
        w2 = add(f.normal(Math.sqrt(2.0 / (9 * 16)), 32, 16, 3, 3));
        b2 = add(f.zeros(32));
        wf = add(f.normal(Math.sqrt(2.0 / flat), FEATURES, flat));
        bf = add(f.zeros(FEATURES));
        wc = add(f.normal(Math.sqrt(1.0 / FEATURES), classes, FEATURES));
        bc = add(f.zeros(classes));
    }

    private NDArray add(NDArray p) {
        p.setRequiresGradient(true);
        parameters.add(p);
        return p;
    }

    /** The image shape [C, H, W] it classifies. */
    public int[] shape() {
        return shape.clone();
    }

    /** The number of classes. */
    public int classes() {
        return classes;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public List<NDArray> parameters() {
        return parameters;
    }

    @Override
    public String lossUnit() {
        return "";
    }

    @Override
    public boolean needsLabels() {
        return true;
    }

    /** @throws UnsupportedOperationException always: the classifier learns from labels */
    @Override
    public NDArray loss(NDArray batch, Noise noise) {
        throw new UnsupportedOperationException("the classifier's loss needs labels");
    }

    /** Mean cross-entropy in nats of the labels under the classifier. */
    @Override
    public NDArray loss(NDArray batch, NDArray labels, Noise noise) {
        NDArray logProbs = logits(features(batch)).logSoftmax(1);
        NDArray oneHot = labels.toType(DataType.INT64, false).oneHot(classes);
        return logProbs.mul(oneHot).sum(new int[] {1}).mean().neg();
    }

    /** The feature layer (B, {@value #FEATURES}) of raw pixels x (B, C, H, W). */
    NDArray features(NDArray x) {
        NDArray h = Scalars.div(x, 255.0).sub(0.5f);
        h = Activation.relu(Conv2d.conv2d(MemoryLayout.channelsLast(h), w1, b1, ONE, ONE).singletonOrThrow());
        h = Pool.maxPool2d(h, POOL, POOL, new Shape(0, 0), false);
        h = Activation.relu(Conv2d.conv2d(h, w2, b2, ONE, ONE).singletonOrThrow());
        h = Pool.maxPool2d(h, POOL, POOL, new Shape(0, 0), false);
        h = MemoryLayout.standard(h).reshape(x.getShape().get(0), -1);
        return Activation.relu(Linear.linear(h, wf, bf).singletonOrThrow());
    }

    private NDArray logits(NDArray features) {
        return Linear.linear(features, wc, bc).singletonOrThrow();
    }

    /** The feature layer of every image, in batches, compared by Euclidean distance. */
    public Features embed(ImageSet images) {
        return new Features("classifier", Features.Metric.L2, images.size(), FEATURES, perImage(images, FEATURES, this::features));
    }

    /** The most probable class of every image. */
    public int[] predict(ImageSet images) {
        float[] logits = perImage(images, classes, x -> logits(features(x)));
        int[] out = new int[images.size()];
        for (int i = 0; i < out.length; i++) {
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (logits[i * classes + c] > logits[i * classes + best]) {
                    best = c;
                }
            }
            out[i] = best;
        }
        return out;
    }

    /** The fraction of images whose predicted class is their label. */
    public double accuracy(ImageSet labelled) {
        int[] p = predict(labelled);
        int right = 0;
        for (int i = 0; i < p.length; i++) {
            right += p[i] == labelled.label(i) ? 1 : 0;
        }
        return p.length == 0 ? Double.NaN : right / (double) p.length;
    }

    private float[] perImage(ImageSet images, int width, java.util.function.Function<NDArray, NDArray> fn) {
        if (!java.util.Arrays.equals(images.shape(), shape)) {
            throw new IllegalArgumentException("the classifier takes " + shape[0] + "x" + shape[1] + "x" + shape[2] + " images, '"
                    + images.name() + "' has " + images.shapeString());
        }
        float[] out = new float[images.size() * width];
        int from = 0;
        for (ImageSet part : images.batches(BATCH)) {
            try (NDManager sub = Scopes.open(manager, parameters)) {
                float[] v = fn.apply(part.toNDArray(sub)).toFloatArray();
                System.arraycopy(v, 0, out, from * width, v.length);
            }
            from += part.size();
        }
        return out;
    }

    /** Writes the classifier to dir (model.json, arrays.bin) with extra facts (accuracy, data checksum). */
    public void save(Path dir, Map<String, Object> facts) throws IOException {
        ModelFiles.writeParameters(dir, parameters);
        Map<String, Object> p = new LinkedHashMap<>(facts);
        p.put("classes", classes);
        ModelFiles.writeMeta(dir, KIND, shape, p);
    }

    /** A classifier written by {@link #save}. */
    public static Classifier load(Path dir) throws IOException {
        var meta = ModelFiles.readMeta(dir);
        if (!KIND.equals(meta.get("kind").asText())) {
            throw new IOException(dir + " holds a " + meta.get("kind").asText() + ", not an " + KIND);
        }
        Classifier c = new Classifier(ModelFiles.shape(meta), meta.get("params").get("classes").asInt(), 0);
        try {
            ModelFiles.readParameters(dir, c.parameters);
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    @Override
    public void close() {
        manager.close();
    }
}

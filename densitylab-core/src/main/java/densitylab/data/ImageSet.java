package densitylab.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * An immutable set of 8-bit images of shape (N, C, H, W) with optional integer labels and a name.
 *
 * <p>Views ({@link #subset}, {@link #shuffle}, {@link #select}, {@link #batches}) share the pixel
 * buffer and cost O(N) ints at most. Every model and score in densitylab takes an ImageSet.
 */
public final class ImageSet {
    private final String name;
    private final int channels;
    private final int height;
    private final int width;
    private final byte[] pixels;   // backing store: images in storage order, each C*H*W bytes (CHW)
    private final int[] labels;    // backing labels, or null
    private final int[] index;     // view: position -> storage image, or null for identity
    private final int size;

    private ImageSet(String name, int c, int h, int w, byte[] pixels, int[] labels, int[] index, int size) {
        this.name = name;
        this.channels = c;
        this.height = h;
        this.width = w;
        this.pixels = pixels;
        this.labels = labels;
        this.index = index;
        this.size = size;
    }

    /**
     * Wraps pixels in (N, C, H, W) order; the array is copied so later changes to it do not leak in.
     *
     * @param labels one label per image, or null
     * @throws IllegalArgumentException if the lengths do not match the shape
     */
    public static ImageSet of(String name, int channels, int height, int width, byte[] pixels, int[] labels) {
        return wrap(name, channels, height, width, pixels.clone(), labels == null ? null : labels.clone());
    }

    /** Like {@link #of} but takes ownership of the arrays without copying (callers must not reuse them). */
    static ImageSet wrap(String name, int channels, int height, int width, byte[] pixels, int[] labels) {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image shape must be positive, got " + channels + "x" + height + "x" + width);
        }
        int dim = channels * height * width;
        if (pixels.length % dim != 0) {
            throw new IllegalArgumentException(pixels.length + " pixel bytes is not a whole number of "
                    + channels + "x" + height + "x" + width + " images");
        }
        int n = pixels.length / dim;
        if (labels != null && labels.length != n) {
            throw new IllegalArgumentException(n + " images but " + labels.length + " labels");
        }
        return new ImageSet(name, channels, height, width, pixels, labels, null, n);
    }

    public String name() { return name; }
    public int size() { return size; }
    public int channels() { return channels; }
    public int height() { return height; }
    public int width() { return width; }
    /** Number of pixel values per image, D = C*H*W. */
    public int dims() { return channels * height * width; }
    /** The shape of one image as [C, H, W]. */
    public int[] shape() { return new int[] {channels, height, width}; }
    /** The shape written as CxHxW, e.g. 1x28x28. */
    public String shapeString() { return channels + "x" + height + "x" + width; }
    public boolean hasLabels() { return labels != null; }

    private int storage(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("image " + i + " of " + size);
        }
        return index == null ? i : index[i];
    }

    /** The label of image i, or -1 when the set has no labels. */
    public int label(int i) {
        int s = storage(i);
        return labels == null ? -1 : labels[s];
    }

    /** A copy of the labels in view order, or null. */
    public int[] labels() {
        if (labels == null) {
            return null;
        }
        int[] out = new int[size];
        for (int i = 0; i < size; i++) {
            out[i] = labels[storage(i)];
        }
        return out;
    }

    /** Pixel value (0..255) of image i at channel c, row y, column x. */
    public int pixel(int i, int c, int y, int x) {
        return pixels[storage(i) * dims() + (c * height + y) * width + x] & 0xff;
    }

    /** Copies image i (C*H*W bytes, CHW order) into dst at offset. */
    public void copyImage(int i, byte[] dst, int offset) {
        System.arraycopy(pixels, storage(i) * dims(), dst, offset, dims());
    }

    /** A copy of image i as C*H*W bytes in CHW order. */
    public byte[] image(int i) {
        byte[] out = new byte[dims()];
        copyImage(i, out, 0);
        return out;
    }

    /** A copy of all pixels in view order, (N, C, H, W). */
    public byte[] pixels() {
        if (index == null) {
            return pixels.clone();
        }
        byte[] out = new byte[size * dims()];
        for (int i = 0; i < size; i++) {
            copyImage(i, out, i * dims());
        }
        return out;
    }

    /**
     * The images of parts, in order, as one set (without labels unless every part has them).
     *
     * @throws IllegalArgumentException for no parts or parts of different shapes
     */
    public static ImageSet concat(String name, java.util.List<ImageSet> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("nothing to concatenate");
        }
        ImageSet first = parts.get(0);
        int n = 0;
        boolean labelled = true;
        for (ImageSet p : parts) {
            if (!java.util.Arrays.equals(p.shape(), first.shape())) {
                throw new IllegalArgumentException("cannot concatenate " + p.shapeString() + " and " + first.shapeString() + " images");
            }
            n += p.size();
            labelled &= p.labels != null;
        }
        byte[] px = new byte[n * first.dims()];
        int[] lab = labelled ? new int[n] : null;
        int o = 0;
        for (ImageSet p : parts) {
            for (int i = 0; i < p.size(); i++, o++) {
                p.copyImage(i, px, o * first.dims());
                if (lab != null) {
                    lab[o] = p.label(i);
                }
            }
        }
        return wrap(name, first.channels, first.height, first.width, px, lab);
    }

    /** The images from (inclusive) to (exclusive). */
    public ImageSet subset(int from, int to) {
        if (from < 0 || to > size || from > to) {
            throw new IndexOutOfBoundsException("subset [" + from + ", " + to + ") of " + size + " images");
        }
        int[] idx = new int[to - from];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = storage(from + i);
        }
        return new ImageSet(name, channels, height, width, pixels, labels, idx, idx.length);
    }

    /** The first min(n, size) images. */
    public ImageSet limit(int n) {
        return n >= size ? this : subset(0, n);
    }

    /** The images at the given positions, in that order (repeats allowed). */
    public ImageSet select(int[] positions) {
        int[] idx = new int[positions.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = storage(positions[i]);
        }
        return new ImageSet(name, channels, height, width, pixels, labels, idx, idx.length);
    }

    /** A seeded permutation of the images; the same seed always gives the same order. */
    public ImageSet shuffle(long seed) {
        return select(permutation(seed));
    }

    private int[] permutation(long seed) {
        int[] perm = new int[size];
        for (int i = 0; i < size; i++) {
            perm[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = size - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return perm;
    }

    /**
     * A seeded random subset of min(n, size) images, in their original order (class-sorted folders keep every class);
     * the same seed always gives the same subset.
     */
    public ImageSet sample(int n, long seed) {
        if (n >= size) {
            return this;
        }
        int[] chosen = java.util.Arrays.copyOf(permutation(seed), n);
        java.util.Arrays.sort(chosen);
        return select(chosen);
    }

    /**
     * A seeded random split into the images kept and min(n, size) held out (the images {@link #sample} gives for the
     * same n and seed), both in their original order.
     */
    public Split split(int n, long seed) {
        int[] perm = permutation(seed);
        int held = Math.min(n, size);
        int[] out = java.util.Arrays.copyOf(perm, held);
        int[] kept = java.util.Arrays.copyOfRange(perm, held, size);
        java.util.Arrays.sort(out);
        java.util.Arrays.sort(kept);
        return new Split(select(kept).withName(name), select(out).withName(name + " (held out)"));
    }

    /** The two parts of {@link #split}. */
    public record Split(ImageSet kept, ImageSet heldOut) {
    }

    /** Consecutive batches of at most batchSize images; the last one may be smaller. */
    public List<ImageSet> batches(int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        List<ImageSet> out = new ArrayList<>();
        for (int from = 0; from < size; from += batchSize) {
            out.add(subset(from, Math.min(size, from + batchSize)));
        }
        return out;
    }

    /** The same images under another name. */
    public ImageSet withName(String newName) {
        return new ImageSet(newName, channels, height, width, pixels, labels, index, size);
    }

    /** The same images without labels. */
    public ImageSet withoutLabels() {
        return new ImageSet(name, channels, height, width, pixels, null, index, size);
    }

    /** The images as a float32 NDArray of shape (N, C, H, W) holding the raw values 0..255, owned by manager. */
    public NDArray toNDArray(NDManager manager) {
        byte[] data = pixels();
        NDArray u8 = manager.create(java.nio.ByteBuffer.wrap(data), new Shape(size, channels, height, width), DataType.UINT8);
        NDArray f = u8.toType(DataType.FLOAT32, false);
        u8.close();
        return f;
    }

    /** The labels as an int32 NDArray of shape (N), owned by manager. */
    public NDArray labelsToNDArray(NDManager manager) {
        if (labels == null) {
            throw new IllegalStateException("image set '" + name + "' has no labels");
        }
        return manager.create(labels());
    }

    /** SHA-256 over the shape, the pixels and the labels in view order: identifies the exact data a run used. */
    public String sha256() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((shapeString() + ":" + size + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] buf = new byte[dims()];
            for (int i = 0; i < size; i++) {
                copyImage(i, buf, 0);
                md.update(buf);
            }
            if (labels != null) {
                java.nio.ByteBuffer lb = java.nio.ByteBuffer.allocate(4 * size);
                for (int i = 0; i < size; i++) {
                    lb.putInt(label(i));
                }
                md.update(lb.array());
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True when both sets hold the same shape, pixels and labels in the same order (names are ignored). */
    public boolean sameContent(ImageSet other) {
        return size == other.size && Arrays.equals(shape(), other.shape())
                && Arrays.equals(pixels(), other.pixels()) && Arrays.equals(labels(), other.labels());
    }

    @Override
    public String toString() {
        return "ImageSet[" + name + ", " + size + " x " + shapeString() + (labels == null ? "" : ", labelled") + "]";
    }
}

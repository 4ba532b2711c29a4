package densitylab.data;

import java.util.List;

/**
 * Image-set transforms used to build OOD test sets: each returns a new set named after its input
 * and the transform. Spec syntax (see {@link DataResolver}): {@code invert}, {@code hflip},
 * {@code vflip}, {@code rot90}, {@code gray}, {@code rgb}, {@code resize=HxW}, {@code scale=F}, {@code contrast=F},
 * {@code blur=SIGMA}, {@code pixel-shuffle}, {@code patch-shuffle=N}; and two selections by label: {@code class=K} keeps
 * the images of class K, {@code without-class=K} the others (a model trained without one class meets it as novelty).
 */
public final class SetTransforms {
    /** The transform names, for help texts. */
    public static final List<String> NAMES = List.of("invert", "hflip", "vflip", "rot90", "gray", "rgb", "resize=HxW",
            "scale=F", "contrast=F", "blur=SIGMA", "pixel-shuffle", "patch-shuffle=N", "class=K", "without-class=K");

    private SetTransforms() {
    }

    /** Applies one transform written as in a spec, e.g. "scale=0.5". */
    public static ImageSet apply(ImageSet set, String op) {
        String name = op;
        String arg = null;
        int eq = op.indexOf('=');
        if (eq >= 0) {
            name = op.substring(0, eq);
            arg = op.substring(eq + 1);
        }
        return switch (name) {
            case "invert" -> invert(set);
            case "hflip" -> flip(set, true);
            case "vflip" -> flip(set, false);
            case "gray", "grey", "grayscale" -> grayscale(set);
            case "rgb" -> toRgb(set);
            case "resize" -> {
                int[] s = Synthetic.parseShape(require(op, arg));
                yield resize(set, s[1], s[2]);
            }
            case "scale" -> scaleVariance(set, number(op, name, arg));
            case "contrast" -> scaleContrast(set, number(op, name, arg));
            case "rot90" -> rotate90(set);
            case "blur" -> blur(set, arg == null ? 1.0 : number(op, name, arg));
            case "pixel-shuffle" -> pixelShuffle(set);
            case "patch-shuffle" -> patchShuffle(set, arg == null ? 4 : (int) number(op, name, arg));
            case "class" -> byClass(set, op, classNumber(op, name, arg), true);
            case "without-class" -> byClass(set, op, classNumber(op, name, arg), false);
            default -> throw new IllegalArgumentException("unknown transform '" + op + "'; known: " + String.join(", ", NAMES));
        };
    }

    private static int classNumber(String op, String name, String arg) {
        try {
            return Integer.parseInt(require(op, arg));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("transform '" + op + "': " + name + " takes a class number, e.g. " + name + "=3");
        }
    }

    /** The images whose label is k (keep) or is not k (!keep). */
    private static ImageSet byClass(ImageSet set, String op, int k, boolean keep) {
        if (!set.hasLabels()) {
            throw new IllegalArgumentException("transform '" + op + "' selects by label, and " + set.name()
                    + " has no labels; use a labelled set such as fashion-mnist or mnist");
        }
        int[] positions = new int[set.size()];
        int n = 0;
        boolean seen = false;
        for (int i = 0; i < set.size(); i++) {
            seen |= set.label(i) == k;
            if ((set.label(i) == k) == keep) {
                positions[n++] = i;
            }
        }
        if (!seen) {
            throw new IllegalArgumentException("transform '" + op + "': " + set.name() + " has no image of class " + k);
        }
        return set.select(java.util.Arrays.copyOf(positions, n)).withName(set.name() + "+" + op);
    }

    private static double number(String op, String name, String arg) {
        try {
            return Double.parseDouble(require(op, arg));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("transform '" + op + "': " + name + " takes a number, e.g. " + name + "=0.5");
        }
    }

    private static String require(String op, String arg) {
        if (arg == null || arg.isEmpty()) {
            throw new IllegalArgumentException("transform '" + op + "' needs a value, e.g. resize=32x32 or scale=0.5");
        }
        return arg;
    }

    private static ImageSet map(ImageSet set, String suffix, int c, int h, int w, PixelFn fn) {
        int n = set.size();
        int dim = c * h * w;
        byte[] out = new byte[n * dim];
        byte[] img = new byte[set.dims()];
        for (int i = 0; i < n; i++) {
            set.copyImage(i, img, 0);
            fn.apply(img, out, i * dim);
        }
        return ImageSet.wrap(set.name() + "+" + suffix, c, h, w, out, set.labels());
    }

    @FunctionalInterface
    private interface PixelFn {
        void apply(byte[] src, byte[] dst, int offset);
    }

    /** 255 - x. */
    public static ImageSet invert(ImageSet set) {
        return map(set, "invert", set.channels(), set.height(), set.width(), (s, d, o) -> {
            for (int k = 0; k < s.length; k++) {
                d[o + k] = (byte) (255 - (s[k] & 0xff));
            }
        });
    }

    /** A quarter turn counter-clockwise: pixel (y, x) of the result is pixel (x, w - 1 - y) of the image (square images). */
    public static ImageSet rotate90(ImageSet set) {
        int c = set.channels();
        int h = set.height();
        int w = set.width();
        if (h != w) {
            throw new IllegalArgumentException("transform 'rot90' needs square images, got " + h + "x" + w);
        }
        return map(set, "rot90", c, h, w, (s, d, o) -> {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        d[o + (ch * h + y) * w + x] = s[(ch * h + x) * w + (w - 1 - y)];
                    }
                }
            }
        });
    }

    /**
     * A Gaussian blur of standard deviation sigma pixels (separable, kernel radius ceil(3 sigma), edges clamped),
     * rounded to 0..255.
     */
    public static ImageSet blur(ImageSet set, double sigma) {
        if (!(sigma > 0) || sigma > 100) {
            throw new IllegalArgumentException("transform 'blur' takes a standard deviation in pixels in (0, 100], got " + sigma);
        }
        int c = set.channels();
        int h = set.height();
        int w = set.width();
        int r = (int) Math.ceil(3 * sigma);
        double[] k = new double[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) {
            k[i + r] = Math.exp(-i * i / (2 * sigma * sigma));
            sum += k[i + r];
        }
        for (int i = 0; i < k.length; i++) {
            k[i] /= sum;
        }
        return map(set, "blur=" + sigma, c, h, w, (s, d, o) -> {
            double[] tmp = new double[h * w];
            for (int ch = 0; ch < c; ch++) {
                int base = ch * h * w;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        double v = 0;
                        for (int i = -r; i <= r; i++) {
                            v += k[i + r] * (s[base + y * w + Math.min(w - 1, Math.max(0, x + i))] & 0xff);
                        }
                        tmp[y * w + x] = v;
                    }
                }
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        double v = 0;
                        for (int i = -r; i <= r; i++) {
                            v += k[i + r] * tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x];
                        }
                        d[o + base + y * w + x] = (byte) Math.max(0, Math.min(255, Math.round(v)));
                    }
                }
            }
        });
    }

    /**
     * Each image's pixel positions permuted at random (a permutation seeded by the image's index, the channels of a
     * pixel kept together): the same pixel values, no spatial structure.
     */
    public static ImageSet pixelShuffle(ImageSet set) {
        return shuffleBlocks(set, "pixel-shuffle", 1, 1);
    }

    /**
     * Each image cut into an n x n grid of patches (height and width divisible by n) whose positions are permuted at
     * random (seeded by the image's index): local structure kept, global shape destroyed.
     */
    public static ImageSet patchShuffle(ImageSet set, int n) {
        if (n < 2 || set.height() % n != 0 || set.width() % n != 0) {
            throw new IllegalArgumentException("transform 'patch-shuffle=" + n + "' needs a grid n >= 2 that divides the "
                    + set.height() + "x" + set.width() + " images");
        }
        return shuffleBlocks(set, "patch-shuffle=" + n, set.height() / n, set.width() / n);
    }

    /** Permutes each image's bh x bw blocks, seeded by the image's index. */
    private static ImageSet shuffleBlocks(ImageSet set, String suffix, int bh, int bw) {
        int c = set.channels();
        int h = set.height();
        int w = set.width();
        int gy = h / bh;
        int gx = w / bw;
        int n = set.size();
        int dim = c * h * w;
        byte[] out = new byte[n * dim];
        byte[] s = new byte[dim];
        for (int img = 0; img < n; img++) {
            set.copyImage(img, s, 0);
            int[] perm = new int[gy * gx];
            for (int i = 0; i < perm.length; i++) {
                perm[i] = i;
            }
            java.util.SplittableRandom rng = new java.util.SplittableRandom(0x5eed_b10cL + img);
            for (int i = perm.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            int o = img * dim;
            for (int b = 0; b < perm.length; b++) {
                int ty = b / gx, tx = b % gx; // target block
                int sy = perm[b] / gx, sx = perm[b] % gx; // source block
                for (int ch = 0; ch < c; ch++) {
                    for (int y = 0; y < bh; y++) {
                        System.arraycopy(s, (ch * h + sy * bh + y) * w + sx * bw, out, o + (ch * h + ty * bh + y) * w + tx * bw, bw);
                    }
                }
            }
        }
        return ImageSet.wrap(set.name() + "+" + suffix, c, h, w, out, set.labels());
    }

    /** Mirror left-right (horizontal) or top-bottom. */
    public static ImageSet flip(ImageSet set, boolean horizontal) {
        int c = set.channels();
        int h = set.height();
        int w = set.width();
        return map(set, horizontal ? "hflip" : "vflip", c, h, w, (s, d, o) -> {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int sy = horizontal ? y : h - 1 - y;
                        int sx = horizontal ? w - 1 - x : x;
                        d[o + (ch * h + y) * w + x] = s[(ch * h + sy) * w + sx];
                    }
                }
            }
        });
    }

    /** Luminance 0.299 R + 0.587 G + 0.114 B, rounded; a one-channel set is returned as is. */
    public static ImageSet grayscale(ImageSet set) {
        if (set.channels() == 1) {
            return set;
        }
        if (set.channels() != 3) {
            throw new IllegalArgumentException("gray needs 1 or 3 channels, " + set.name() + " has " + set.channels());
        }
        int hw = set.height() * set.width();
        return map(set, "gray", 1, set.height(), set.width(), (s, d, o) -> {
            for (int k = 0; k < hw; k++) {
                double v = 0.299 * (s[k] & 0xff) + 0.587 * (s[hw + k] & 0xff) + 0.114 * (s[2 * hw + k] & 0xff);
                d[o + k] = (byte) Math.min(255, Math.round(v));
            }
        });
    }

    /** Replicates a grey channel three times; a three-channel set is returned as is. */
    public static ImageSet toRgb(ImageSet set) {
        if (set.channels() == 3) {
            return set;
        }
        if (set.channels() != 1) {
            throw new IllegalArgumentException("rgb needs 1 or 3 channels, " + set.name() + " has " + set.channels());
        }
        int hw = set.height() * set.width();
        return map(set, "rgb", 3, set.height(), set.width(), (s, d, o) -> {
            for (int ch = 0; ch < 3; ch++) {
                System.arraycopy(s, 0, d, o + ch * hw, hw);
            }
        });
    }

    /** Bilinear resize to h x w (pixel centres aligned, as image libraries do). */
    public static ImageSet resize(ImageSet set, int h, int w) {
        int c = set.channels();
        int sh = set.height();
        int sw = set.width();
        if (sh == h && sw == w) {
            return set;
        }
        return map(set, "resize=" + h + "x" + w, c, h, w, (s, d, o) -> {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    double fy = Math.max(0, Math.min(sh - 1, (y + 0.5) * sh / h - 0.5));
                    int y0 = (int) fy;
                    int y1 = Math.min(sh - 1, y0 + 1);
                    double ay = fy - y0;
                    for (int x = 0; x < w; x++) {
                        double fx = Math.max(0, Math.min(sw - 1, (x + 0.5) * sw / w - 0.5));
                        int x0 = (int) fx;
                        int x1 = Math.min(sw - 1, x0 + 1);
                        double ax = fx - x0;
                        int base = ch * sh * sw;
                        double v = (1 - ay) * ((1 - ax) * (s[base + y0 * sw + x0] & 0xff) + ax * (s[base + y0 * sw + x1] & 0xff))
                                + ay * ((1 - ax) * (s[base + y1 * sw + x0] & 0xff) + ax * (s[base + y1 * sw + x1] & 0xff));
                        d[o + (ch * h + y) * w + x] = (byte) Math.round(v);
                    }
                }
            }
        });
    }

    /** Converts channels (gray/RGB) and resizes so that the set has shape [c, h, w]; a set already so is returned as is. */
    public static ImageSet conform(ImageSet set, int[] chw) {
        ImageSet s = set;
        if (s.channels() != chw[0]) {
            s = chw[0] == 1 ? grayscale(s) : chw[0] == 3 ? toRgb(s) : fail(set, chw);
        }
        return resize(s, chw[1], chw[2]);
    }

    private static ImageSet fail(ImageSet set, int[] chw) {
        throw new IllegalArgumentException("cannot convert " + set.channels() + " channels of " + set.name() + " to " + chw[0]);
    }

    /**
     * Nalisnick et al.'s variance experiment: x' = m + f (x - m), m the set's mean image (per pixel and
     * channel), rounded and clipped to 0..255. f &lt; 1 shrinks every image toward the mean image, lowering the
     * data's variance while keeping its mean (which raises a deep model's likelihood).
     */
    public static ImageSet scaleVariance(ImageSet set, double factor) {
        if (!(factor >= 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("scale factor must be a finite number >= 0, got " + factor);
        }
        double[] mean = new double[set.dims()];
        byte[] img = new byte[set.dims()];
        for (int i = 0; i < set.size(); i++) {
            set.copyImage(i, img, 0);
            for (int k = 0; k < img.length; k++) {
                mean[k] += img[k] & 0xff;
            }
        }
        for (int k = 0; k < mean.length; k++) {
            mean[k] /= Math.max(1, set.size());
        }
        return map(set, "scale=" + factor, set.channels(), set.height(), set.width(), (s, d, o) -> {
            for (int k = 0; k < s.length; k++) {
                long v = Math.round(mean[k] + factor * ((s[k] & 0xff) - mean[k]));
                d[o + k] = (byte) Math.max(0, Math.min(255, v));
            }
        });
    }

    /**
     * Every pixel shrunk toward its channel's mean grey level over the whole set by factor (0 = every pixel that grey,
     * 1 = unchanged), rounded to 0..255: a variance reduction toward one grey level per channel, where
     * {@link #scaleVariance} shrinks every pixel toward its own mean over the set (the mean image).
     */
    public static ImageSet scaleContrast(ImageSet set, double factor) {
        if (!(factor >= 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("contrast factor must be a finite number >= 0, got " + factor);
        }
        double[] mean = ImageStats.of(set).mean();
        int hw = set.height() * set.width();
        return map(set, "contrast=" + factor, set.channels(), set.height(), set.width(), (s, d, o) -> {
            for (int k = 0; k < s.length; k++) {
                double m = mean[k / hw];
                long v = Math.round(m + factor * ((s[k] & 0xff) - m));
                d[o + k] = (byte) Math.max(0, Math.min(255, v));
            }
        });
    }
}

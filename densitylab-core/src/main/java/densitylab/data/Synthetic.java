package densitylab.data;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Synthetic image sets that need no download: {@code noise} (uniform pixels), {@code constant}
 * (one random grey level per image) and {@code gaussian-noise} (pixels ~ N(127.5, 51^2), rounded and
 * clipped). Deterministic for a given seed.
 */
public final class Synthetic {
    /** The names, as used in data set specs. */
    public static final List<String> NAMES = List.of("noise", "constant", "gaussian-noise");

    private Synthetic() {
    }

    /** True when name is a synthetic set. */
    public static boolean isSynthetic(String name) {
        return NAMES.contains(name);
    }

    /** Generates count images of shape (c, h, w) of the named kind. */
    public static ImageSet generate(String kind, int count, int c, int h, int w, long seed) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, got " + count);
        }
        int dim = c * h * w;
        byte[] px = new byte[count * dim];
        SplittableRandom rng = new SplittableRandom(seed ^ kind.hashCode());
        switch (kind) {
            case "noise" -> {
                for (int i = 0; i < px.length; i++) {
                    px[i] = (byte) rng.nextInt(256);
                }
            }
            case "constant" -> {
                for (int n = 0; n < count; n++) {
                    java.util.Arrays.fill(px, n * dim, (n + 1) * dim, (byte) rng.nextInt(256));
                }
            }
            case "gaussian-noise" -> {
                java.util.Random g = new java.util.Random(rng.nextLong());
                for (int i = 0; i < px.length; i++) {
                    long v = Math.round(127.5 + 51.0 * g.nextGaussian());
                    px[i] = (byte) Math.max(0, Math.min(255, v));
                }
            }
            default -> throw new IllegalArgumentException("unknown synthetic set '" + kind + "'; known: " + String.join(", ", NAMES));
        }
        return ImageSet.wrap(kind, c, h, w, px, null);
    }

    /**
     * Parses a shape written HxWxC (e.g. 28x28x1, 32x32x3) or HxW (one channel) into [C, H, W].
     *
     * @throws IllegalArgumentException with the expected form when it does not parse
     */
    public static int[] parseShape(String s) {
        String[] parts = s.toLowerCase(java.util.Locale.ROOT).split("x");
        try {
            if (parts.length == 2 || parts.length == 3) {
                int h = Integer.parseInt(parts[0]);
                int w = Integer.parseInt(parts[1]);
                int c = parts.length == 3 ? Integer.parseInt(parts[2]) : 1;
                if (h > 0 && w > 0 && c > 0 && c <= 4) {
                    return new int[] {c, h, w};
                }
            }
        } catch (NumberFormatException e) {
            // fall through to the error
        }
        throw new IllegalArgumentException("bad shape '" + s + "': write HEIGHTxWIDTHxCHANNELS, e.g. 28x28x1 or 32x32x3");
    }
}

package densitylab.run;

import densitylab.data.DataResolver;
import densitylab.data.Fetcher;
import densitylab.data.ImageFolder;
import densitylab.data.ImageSet;
import densitylab.data.SetTransforms;
import densitylab.data.Synthetic;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Where and how a run reads its data sets.
 *
 * @param sources        extra folders holding data files, searched before the system locations and the network
 * @param offline        never use the network (local folders and package clients still work)
 * @param shape          shape (HxWxC) of synthetic sets that have none of their own, or null
 * @param syntheticCount images in each synthetic set
 * @param resize         HxW to resize every image to; {@link #MODEL_SHAPE} to convert sets to the model's shape; null: a
 *                       set of another shape than the model's is an error
 * @param skipBadImages  skip unreadable images in folders with a warning, instead of failing on the first one
 */
public record DataSettings(List<Path> sources, boolean offline, String shape, int syntheticCount, String resize,
                           boolean skipBadImages) {
    /** {@link #resize}'s value that converts every set to the model's shape. */
    public static final String MODEL_SHAPE = "model";

    public DataSettings {
        sources = List.copyOf(sources);
        if (syntheticCount < 1) {
            throw new IllegalArgumentException("synthetic sets need at least 1 image, got " + syntheticCount);
        }
    }

    /** No extra sources, the network allowed, 10,000 images per synthetic set, no resizing, bad images skipped. */
    public static DataSettings defaults() {
        return new DataSettings(List.of(), false, null, 10000, null, true);
    }

    /** These settings, offline or not. */
    public DataSettings withOffline(boolean off) {
        return new DataSettings(sources, off, shape, syntheticCount, resize, skipBadImages);
    }

    /** A resolver configured by these settings and the environment. */
    public DataResolver resolver() {
        Fetcher fetcher = Fetcher.fromEnvironment(sources, offline);
        ImageFolder.Options fo = ImageFolder.Options.defaults()
                .withOnBadFile(skipBadImages ? ImageFolder.OnBadFile.SKIP : ImageFolder.OnBadFile.FAIL);
        if (resize != null && !resize.equals(MODEL_SHAPE)) {
            int[] s = Synthetic.parseShape(resize);
            fo = fo.withResize(s[1], s[2]);
        }
        DataResolver r = new DataResolver(fetcher).withSyntheticCount(syntheticCount).withFolderOptions(fo);
        return shape == null ? r : r.withShapeHint(Synthetic.parseShape(shape));
    }

    /**
     * Loads a set for a model of shape modelShape: synthetic sets take that shape, and a set of another shape is
     * converted when {@link #resize} is given, else rejected with both shapes named.
     *
     * @param defaultSplit the split a catalog name without one means
     * @param selection    which of its images
     */
    public ImageSet load(DataResolver r, String spec, String defaultSplit, int[] modelShape, Selection selection) throws IOException {
        DataResolver shaped = r.withShapeHint(modelShape);
        int n = selection.count();
        ImageSet set = (n > 0 ? shaped.withSyntheticCount(Math.min(n, syntheticCount)) : shaped).load(spec, defaultSplit);
        set = selection.apply(set);
        if (!Arrays.equals(set.shape(), modelShape)) {
            if (resize == null) {
                throw new densitylab.io.SettingException("'" + spec + "' has images of " + set.shapeString() + " but the model takes "
                        + modelShape[0] + "x" + modelShape[1] + "x" + modelShape[2] + "; resize them to the model's shape", "resize");
            }
            set = SetTransforms.conform(set, modelShape).withName(spec);
        }
        return set;
    }

    /** The training images of a run's model, resized when {@link #resize} names a size (HxW). */
    public ImageSet loadTraining(DataResolver r, String spec, Selection selection) throws IOException {
        ImageSet train = selection.apply(r.load(spec, "train"));
        if (resize != null && !resize.equals(MODEL_SHAPE)) {
            int[] s = Synthetic.parseShape(resize);
            train = SetTransforms.resize(train, s[1], s[2]);
        }
        return train;
    }

    /**
     * Which images of a set to use: all, the first n, or a random n (seeded, in their original order).
     *
     * @param limit  the first n images (0 = no limit)
     * @param sample a random n images (0 = none), drawn after the limit
     * @param seed   the random subset's seed
     */
    public record Selection(int limit, int sample, long seed) {
        /** Every image. */
        public static final Selection ALL = new Selection(0, 0, 0);

        public Selection {
            if (limit < 0 || sample < 0) {
                throw new IllegalArgumentException("a selection takes n >= 0 images, got limit " + limit + " and sample " + sample);
            }
        }

        /** The first n images (every image for n = 0). */
        public static Selection first(int n) {
            return new Selection(n, 0, 0);
        }

        /** A random n images (every image for n = 0) drawn with seed. */
        public static Selection random(int n, long seed) {
            return new Selection(0, n, seed);
        }

        /** The most images this selection keeps, 0 = no bound. */
        int count() {
            return limit > 0 && sample > 0 ? Math.min(limit, sample) : Math.max(limit, sample);
        }

        /** The selected images of set. */
        public ImageSet apply(ImageSet set) {
            ImageSet s = limit > 0 ? set.limit(limit) : set;
            return sample > 0 ? s.sample(sample, seed) : s;
        }
    }
}

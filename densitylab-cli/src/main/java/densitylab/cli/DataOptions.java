package densitylab.cli;

import densitylab.data.DataResolver;
import densitylab.data.Fetcher;
import densitylab.data.ImageFolder;
import densitylab.data.ImageSet;
import densitylab.data.SetTransforms;
import densitylab.data.Synthetic;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Options shared by every command that reads data. */
public final class DataOptions {
    @Option(names = "--sources", paramLabel = "DIR", description = "Extra folder holding data files, searched before the system locations and the network (repeatable).")
    List<Path> sources = new ArrayList<>();

    @Option(names = "--offline", description = "Never use the network (official addresses); local folders and package clients still work.")
    boolean offline;

    @Option(names = "--shape", paramLabel = "HxWxC", description = "Shape of synthetic sets that have none of their own, e.g. 28x28x1.")
    String shape;

    @Option(names = "--synthetic-count", paramLabel = "N", defaultValue = "10000", description = "Images in each synthetic set (default: ${DEFAULT-VALUE}).")
    int syntheticCount = 10000;

    @Option(names = "--resize", paramLabel = "HxW", arity = "0..1", fallbackValue = MODEL_SHAPE,
            description = "Resize images to HxW (folders of mixed sizes need it). Without a value, in commands that " +
                    "use a trained model: convert every set to the model's shape (channels and size); without " +
                    "--resize a set of another shape is an error that names both shapes.")
    String resize;

    static final String MODEL_SHAPE = "model";

    @Option(names = "--skip-bad-images", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Skip unreadable images in folders with a warning (default), or fail on the first one (--no-skip-bad-images).")
    boolean skipBadImages = true;

    /**
     * Loads a set for a model of shape modelShape: synthetic sets take that shape, and a set of another shape is
     * converted when --resize was given, else rejected with both shapes named.
     */
    ImageSet loadFor(DataResolver r, String spec, String defaultSplit, int[] modelShape, int limit) throws java.io.IOException {
        DataResolver shaped = r.withShapeHint(modelShape);
        ImageSet set = (limit > 0 ? shaped.withSyntheticCount(Math.min(limit, syntheticCount)) : shaped).load(spec, defaultSplit);
        if (limit > 0) {
            set = set.limit(limit);
        }
        if (!java.util.Arrays.equals(set.shape(), modelShape)) {
            if (resize == null) {
                throw new IllegalArgumentException("'" + spec + "' has images of " + set.shapeString() + " but the model takes "
                        + modelShape[0] + "x" + modelShape[1] + "x" + modelShape[2] + "; give --resize to convert them");
            }
            set = SetTransforms.conform(set, modelShape).withName(spec);
        }
        return set;
    }

    /** A resolver configured by these options and the environment. */
    DataResolver resolver() {
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
}

package densitylab.cli;

import densitylab.data.DataResolver;
import densitylab.data.ImageSet;
import densitylab.run.DataSettings;
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

    static final String MODEL_SHAPE = DataSettings.MODEL_SHAPE;

    @Option(names = "--skip-bad-images", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Skip unreadable images in folders with a warning (default), or fail on the first one (--no-skip-bad-images).")
    boolean skipBadImages = true;

    /** These options as the run layer's data settings. */
    DataSettings settings() {
        return new DataSettings(sources, offline, shape, syntheticCount, resize, skipBadImages);
    }

    /** {@link DataSettings#load} of the first limit images (0 = all). */
    ImageSet loadFor(DataResolver r, String spec, String defaultSplit, int[] modelShape, int limit) throws java.io.IOException {
        return settings().load(r, spec, defaultSplit, modelShape, DataSettings.Selection.first(limit));
    }

    /** A resolver configured by these options and the environment. */
    DataResolver resolver() {
        return settings().resolver();
    }
}

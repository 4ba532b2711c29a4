package densitylab.cli;

import densitylab.data.DataResolver;
import densitylab.data.ImageSet;
import densitylab.data.ImageStats;
import densitylab.report.ImageGrid;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code densitylab demo}: the main job in minutes on two cores. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Fetch FashionMNIST and MNIST, and write a preview of both (grids and statistics) to the run folder."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--run", paramLabel = "DIR", defaultValue = "runs/demo", description = "Run folder (default: ${DEFAULT-VALUE}).")
    Path run;

    @Mixin
    DataOptions data;

    @Override
    public Integer call() throws Exception {
        DataResolver r = data.resolver();
        for (String name : List.of("fashion-mnist", "mnist")) {
            for (String split : List.of("train", "test")) {
                ImageSet s = r.load(name + ":" + split, split);
                ImageStats st = ImageStats.of(s);
                System.out.printf("%-14s %-5s %6d x %s  mean %.2f  std %.2f  image variance %.1f%n",
                        name, split, s.size(), s.shapeString(), st.mean()[0], st.std()[0], st.meanImageVariance());
                if (split.equals("test")) {
                    ImageGrid.writePng(s, 100, run.resolve(name + "-test.png"));
                }
            }
        }
        System.out.println("wrote " + run.resolve("fashion-mnist-test.png") + " and " + run.resolve("mnist-test.png"));
        return 0;
    }
}

package densitylab.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code densitylab demo}: the main job, in minutes on two cores. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The whole path in one command: fetch FashionMNIST and MNIST, train a model on FashionMNIST, " +
                "score FashionMNIST's test split against MNIST, noise, constant images and FashionMNIST with half " +
                "its variance (Nalisnick's experiment), print the metrics and write RUN/report.html.",
                "", "Same as:", "  densitylab train --model MODEL --data fashion-mnist --run RUN --force &&",
                "  densitylab evaluate --run RUN --in fashion-mnist --out mnist \\", "      noise constant fashion-mnist+scale=0.5"})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--run", paramLabel = "DIR", defaultValue = "runs/demo", description = "Run folder (default: ${DEFAULT-VALUE}).")
    Path run;

    @Option(names = "--model", paramLabel = "NAME", defaultValue = "gmm", description = "Model to train (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "Images per evaluated set (0 = all).")
    int limit;

    @Option(names = "--offline", description = "Never use the network.")
    boolean offline;

    @Override
    public Integer call() {
        List<String> train = new ArrayList<>(List.of("train", "--model", model, "--data", "fashion-mnist", "--run", run.toString(), "--force"));
        List<String> eval = new ArrayList<>(List.of("evaluate", "--run", run.toString(), "--in", "fashion-mnist",
                "--out", "mnist", "noise", "constant", "fashion-mnist+scale=0.5", "--limit", Integer.toString(limit)));
        if (offline) {
            train.add("--offline");
            eval.add("--offline");
        }
        int rc = Main.run(train.toArray(String[]::new));
        if (rc != 0) {
            return rc;
        }
        System.out.println();
        rc = Main.run(eval.toArray(String[]::new));
        if (rc == 0) {
            System.out.println("open " + run.resolve("report.html").toAbsolutePath() + " in a browser");
        }
        return rc;
    }
}

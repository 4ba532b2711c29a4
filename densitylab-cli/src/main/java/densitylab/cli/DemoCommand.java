package densitylab.cli;

import densitylab.run.DataSettings;
import densitylab.run.Reproduce;
import densitylab.run.RunLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;



/** {@code densitylab demo}: the main job, in minutes on two cores: {@code reproduce --quick}. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The whole path in one command, in about 5 minutes on 2 cores: fetch FashionMNIST and MNIST, train "
                + "a small Glow (and its likelihood-ratio background) and a Gaussian baseline on FashionMNIST, score "
                + "FashionMNIST's test split against MNIST, noise, constant images and FashionMNIST inverted and flipped "
                + "with the plain likelihood and the published fixes, print the metrics and write DIR/report.html.",
                "", "Same as: densitylab reproduce --quick --dir DIR"})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "runs/demo", description = "Folder of the runs and the report "
            + "(default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--offline", description = "Never use the network.")
    boolean offline;

    @Override
    public Integer call() throws Exception {
        Reproduce.ReproduceRequest quick = Reproduce.ReproduceRequest.of(true, dir);
        Reproduce.ReproduceResult r = Reproduce.run(new Reproduce.ReproduceRequest(true, null, null, quick.in(), null, dir, null,
                quick.background(), null, null, quick.seed(), DataSettings.defaults().withOffline(offline)), RunLog.of(System.out, System.err));
        System.out.println("open " + r.report().toAbsolutePath() + " in a browser");
        return 0;
    }
}

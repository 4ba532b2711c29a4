package densitylab.cli;

import densitylab.serve.DetectionServer;
import densitylab.serve.ServedDetector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code densitylab serve}: detector bundles behind HTTP, and a page of runs. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve detector bundles over HTTP and a web page listing runs, until stopped (Ctrl-C finishes the requests in flight).",
                "  POST /v1/detectors/NAME/score        one image (raw bytes or a multipart file) -> {score, threshold, is_ood, detector, model, version}",
                "  POST /v1/detectors/NAME/score-batch  multipart files or a zip of images -> a JSON array in order",
                "  GET  /v1/detectors, /health, /metrics (Prometheus), /  (the page: runs, and a drop zone per detector)",
                "Bad input gets a 4xx and {\"error\": ...} with the message 'detect' writes; every bundle is verified before the server starts."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--detector", paramLabel = "[NAME=]FILE.zip", description = "A bundle from 'detector fit', served as NAME "
            + "(default: the file name without .zip); repeatable.")
    List<String> detectors = new ArrayList<>();

    @Option(names = "--runs", paramLabel = "DIR", description = "List the runs under this folder on the page and serve their reports.")
    Path runs;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 opens it to the network).")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--trust", paramLabel = "KEY.pub", split = ",", description = "Serve only bundles signed by one of these public keys "
            + "('detector keygen', 'detector sign'); repeatable.")
    List<Path> trust = new ArrayList<>();

    @Option(names = "--max-image-bytes", paramLabel = "N", defaultValue = "4194304",
            description = "Largest encoded image accepted; larger ones get 413 (default: ${DEFAULT-VALUE}).")
    long maxImageBytes;

    @Option(names = "--coalesce", paramLabel = "N", defaultValue = "64", description = "Most concurrent single-image requests scored "
            + "in one model call (1 scores each alone; default: ${DEFAULT-VALUE}).")
    int coalesce;

    @Override
    public Integer call() throws Exception {
        if (detectors.isEmpty() && runs == null) {
            throw new IllegalArgumentException("nothing to serve: give --detector FILE.zip (repeatable), --runs DIR, or both");
        }
        if (runs != null && !Files.isDirectory(runs)) {
            throw new IllegalArgumentException("--runs " + runs + " is not a folder");
        }
        List<PublicKey> keys = new ArrayList<>();
        for (Path p : trust) {
            keys.add(densitylab.detect.BundleSignature.readPublicKey(p));
        }
        List<ServedDetector> served = new ArrayList<>();
        for (String spec : detectors) {
            served.add(ServedDetector.load(spec, keys));
        }
        DetectionServer.Settings s = DetectionServer.Settings.defaults().withHost(host).withPort(port).withRuns(runs)
                .withMaxImageBytes(maxImageBytes).withCoalesce(coalesce);
        DetectionServer server = DetectionServer.start(served, s);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "densitylab-serve-shutdown"));
        System.out.println("serving " + (served.isEmpty() ? "no detectors" : served.size() + " detector" + (served.size() == 1 ? "" : "s")
                + " (" + String.join(", ", served.stream().map(ServedDetector::name).toList()) + ")")
                + (runs != null ? " and the runs under " + runs : "") + " on " + server.url() + " (Ctrl-C stops)");
        System.out.flush();
        stopped.await();
        return 0;
    }
}

import densitylab.detect.OodDetector;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * One-image latency of a loaded OodDetector (a service's call: decode, preprocess, score one PNG): N calls from one
 * thread after 200 untimed ones, then the median, 99th percentile and mean in milliseconds as one JSON line.
 *
 * java -cp 'densitylab-cli/target/densitylab.jar:densitylab-cli/target/lib/*' bench/detect/DetectorLatency.java BUNDLE.zip DIR [N]
 */
public class DetectorLatency {
    public static void main(String[] args) throws Exception {
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
        List<byte[]> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(Path.of(args[1]))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".png")).sorted().limit(n).toList()) {
                files.add(Files.readAllBytes(p));
            }
        }
        try (OodDetector d = OodDetector.load(Path.of(args[0]))) {
            for (int i = 0; i < 200; i++) {
                d.score(files.get(i % files.size()));
            }
            double[] ms = new double[files.size()];
            for (int i = 0; i < ms.length; i++) {
                long t0 = System.nanoTime();
                d.score(files.get(i));
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            double mean = Arrays.stream(ms).average().orElse(Double.NaN);
            Arrays.sort(ms);
            System.out.printf("{\"bundle\": \"%s\", \"calls\": %d, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"mean_ms\": %.3f}%n",
                    Path.of(args[0]).getFileName(), ms.length, ms[ms.length / 2], ms[(int) (ms.length * 0.99)], mean);
        }
    }
}

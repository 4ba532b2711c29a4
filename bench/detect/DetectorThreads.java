import densitylab.detect.OodDetector;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * One-image latency (p50, p99) and throughput of one shared OodDetector called from 1, 2 and 4 threads, one image per
 * call (a service's pattern), on the PNG files under a folder (read into memory first), and the same images in
 * batches of 64 from one thread.
 *
 * java -cp 'densitylab-cli/target/densitylab.jar:densitylab-cli/target/lib/*' bench/detect/DetectorThreads.java BUNDLE.zip DIR [N]
 */
public class DetectorThreads {
    public static void main(String[] args) throws Exception {
        OodDetector d = OodDetector.load(Path.of(args[0]));
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
        List<byte[]> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(Path.of(args[1]))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".png")).sorted().limit(n).toList()) {
                files.add(Files.readAllBytes(p));
            }
        }
        double[] reference = new double[files.size()];
        for (int i = 0; i < reference.length; i++) {
            reference[i] = d.score(files.get(i)); // also warms up
        }
        double[] ms = new double[files.size()]; // a service's latency: one call, one image, one thread
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            d.score(files.get(i));
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        System.out.printf("1 thread, one image per call: latency p50 %.2f ms, p99 %.2f ms%n", ms[ms.length / 2],
                ms[(int) (ms.length * 0.99)]);
        // the same from a thread libtorch has not seen (a server's worker): its grad mode starts on
        ExecutorService worker = Executors.newSingleThreadExecutor();
        double[] workerMs = worker.submit(() -> {
            double[] w = new double[files.size()];
            for (int i = 0; i < w.length; i++) {
                long t1 = System.nanoTime();
                d.score(files.get(i));
                w[i] = (System.nanoTime() - t1) / 1e6;
            }
            return w;
        }).get();
        worker.shutdown();
        Arrays.sort(workerMs);
        System.out.printf("1 worker thread, one image per call: latency p50 %.2f ms, p99 %.2f ms%n", workerMs[workerMs.length / 2],
                workerMs[(int) (workerMs.length * 0.99)]);
        for (int threads : new int[] {1, 2, 4, 1, 2, 4}) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            long t0 = System.nanoTime();
            List<Future<Boolean>> parts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                parts.add(pool.submit(() -> {
                    boolean same = true;
                    for (int i = first; i < files.size(); i += threads) {
                        same &= d.score(files.get(i)) == reference[i];
                    }
                    return same;
                }));
            }
            boolean same = true;
            for (Future<Boolean> f : parts) {
                same &= f.get();
            }
            double s = (System.nanoTime() - t0) / 1e9;
            pool.shutdown();
            System.out.printf("%d thread(s), one image per call: %.0f images/s, scores equal to sequential: %s%n",
                    threads, files.size() / s, same);
        }
        densitylab.data.ImageSet all = densitylab.data.ImageSet.concat("all", files.stream().map(b -> {
            try {
                return d.preprocessing().decode(b, "x");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }).toList());
        long t0 = System.nanoTime();
        double[] batched = new double[all.size()];
        for (int from = 0; from < all.size(); from += 64) {
            double[] part = d.score(all.subset(from, Math.min(all.size(), from + 64)));
            System.arraycopy(part, 0, batched, from, part.length);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        double worst = 0;
        for (int i = 0; i < batched.length; i++) {
            worst = Math.max(worst, Math.abs(batched[i] - reference[i]) / Math.max(1e-12, Math.abs(reference[i])));
        }
        System.out.printf("1 thread, batches of 64 (decoded): %.0f images/s, largest relative difference from one-image calls %.2g%n",
                all.size() / s, worst);
    }
}

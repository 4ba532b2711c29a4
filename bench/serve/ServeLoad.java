import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Load on a running `densitylab serve`: throughput and p50/p99 latency of single-image requests from T client threads,
 * or of batch requests of B images (multipart), over the PNG files under a folder (read into memory first; a warm-up
 * of 200 requests is not counted). JDK only, no densitylab on the class path:
 *
 * java bench/serve/ServeLoad.java URL DETECTOR DIR THREADS REQUESTS [BATCH]
 *
 * e.g. java bench/serve/ServeLoad.java http://127.0.0.1:8080/ glow-ic png/fashion-mnist 4 2000
 */
public class ServeLoad {
    public static void main(String[] args) throws Exception {
        String base = args[0].endsWith("/") ? args[0] : args[0] + "/";
        String detector = args[1];
        int threads = Integer.parseInt(args[3]);
        int requests = Integer.parseInt(args[4]);
        int batch = args.length > 5 ? Integer.parseInt(args[5]) : 1;
        List<byte[]> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(Path.of(args[2]))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".png")).sorted().limit(2000).toList()) {
                files.add(Files.readAllBytes(p));
            }
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI uri = URI.create(base + "v1/detectors/" + detector + (batch > 1 ? "/score-batch" : "/score"));
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        run(pool, http, uri, files, batch, Math.min(200, requests), threads, next, errors, new long[Math.min(200, requests)]);
        long[] latency = new long[requests];
        next.set(0);
        long t0 = System.nanoTime();
        run(pool, http, uri, files, batch, requests, threads, next, errors, latency);
        double seconds = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        Arrays.sort(latency);
        System.out.printf(Locale.ROOT, "%s threads=%d batch=%d requests=%d: %.0f images/s, %.0f requests/s, latency p50 %.2f ms, p99 %.2f ms, errors %d%n",
                detector, threads, batch, requests, requests * (double) batch / seconds, requests / seconds,
                latency[requests / 2] / 1e6, latency[(int) Math.min(requests - 1, Math.ceil(requests * 0.99) - 1)] / 1e6, errors.get());
    }

    private static void run(ExecutorService pool, HttpClient http, URI uri, List<byte[]> files, int batch, int requests, int threads,
                            AtomicInteger next, AtomicInteger errors, long[] latency) throws Exception {
        List<Future<?>> f = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            f.add(pool.submit(() -> {
                for (int r; (r = next.getAndIncrement()) < requests; ) {
                    HttpRequest req = batch > 1 ? multipart(uri, files, r * batch, batch)
                            : HttpRequest.newBuilder(uri).header("Content-Type", "image/png")
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(files.get(r % files.size()))).build();
                    long s = System.nanoTime();
                    HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
                    latency[r] = System.nanoTime() - s;
                    if (resp.statusCode() != 200) {
                        errors.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> x : f) {
            x.get();
        }
    }

    private static HttpRequest multipart(URI uri, List<byte[]> files, int from, int n) throws Exception {
        String boundary = "serveload-7d1f";
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
            b.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" + i
                    + ".png\"\r\nContent-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            b.write(files.get((from + i) % files.size()));
            b.write("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        b.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return HttpRequest.newBuilder(uri).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(b.toByteArray())).build();
    }
}

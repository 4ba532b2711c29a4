package densitylab.serve;

import densitylab.data.DataResolver;
import densitylab.data.Fetcher;
import densitylab.data.ImageSet;
import densitylab.data.Images;
import densitylab.detect.OodDetector;
import densitylab.detect.Preprocessing;
import densitylab.model.DensityModel;
import densitylab.model.ScoreOptions;
import densitylab.model.registry.ModelKinds;
import densitylab.report.ImageGrid;
import densitylab.train.TrainSettings;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A small real detector (a Gaussian on 2,000 FashionMNIST images) saved as a bundle, its images as PNG, and an HTTP client. */
final class Fixtures {
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static Fixtures shared;

    final ImageSet fashion;
    final ImageSet mnist;
    final OodDetector detector;
    final Path bundle;

    private Fixtures(Path dir) throws Exception {
        DataResolver r = new DataResolver(Fetcher.fromEnvironment());
        ImageSet train = r.load("fashion-mnist", "train").limit(2000);
        fashion = r.load("fashion-mnist", "test").limit(40);
        mnist = r.load("mnist", "test").limit(10);
        DensityModel model = (DensityModel) ModelKinds.get("gaussian").train(train, null, TrainSettings.defaults(0)).model();
        detector = OodDetector.fit(model, null, List.of(), "likelihood", ScoreOptions.defaults(), null,
                r.load("fashion-mnist", "test").subset(1000, 1500), "fashion-mnist:test[1000:1500]", 0.95, Preprocessing.Resize.REJECT);
        bundle = dir.resolve("fm.zip");
        detector.save(bundle);
    }

    static synchronized Fixtures get() throws Exception {
        if (shared == null) {
            Path dir = Files.createTempDirectory("densitylab-serve-test");
            dir.toFile().deleteOnExit();
            shared = new Fixtures(dir);
        }
        return shared;
    }

    static byte[] png(ImageSet set, int i) {
        return ImageGrid.png(Images.toBufferedImage(set, i));
    }

    static HttpResponse<String> post(String url, String contentType, byte[] body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A multipart/form-data body of files; returns {contentType, body}. */
    static Object[] multipart(List<String> names, List<byte[]> files) throws IOException {
        String boundary = "densitylab-test-boundary-7d1f";
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < names.size(); i++) {
            b.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" + names.get(i)
                    + "\"\r\nContent-Type: image/png\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            b.write(files.get(i));
            b.write("\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        b.write(("--" + boundary + "--\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return new Object[] {"multipart/form-data; boundary=" + boundary, b.toByteArray()};
    }
}

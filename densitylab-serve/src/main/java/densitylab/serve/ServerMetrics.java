package densitylab.serve;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The service's Prometheus metrics: requests and errors by endpoint and status, request latency, images scored and
 * flagged per detector, the fraction flagged among each detector's last {@value #RECENT} images (a drifting input
 * stream shows there first), and the sizes of coalesced model calls.
 */
final class ServerMetrics {
    /** Verdicts the recent out-of-distribution fraction is taken over. */
    static final int RECENT = 1000;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests = Counter.builder().name("densitylab_requests_total")
            .help("HTTP requests by endpoint and status").labelNames("endpoint", "status").register(registry);
    private final Counter errors = Counter.builder().name("densitylab_errors_total")
            .help("Requests answered with a 4xx or 5xx status, by endpoint and status").labelNames("endpoint", "status").register(registry);
    private final Histogram latency = Histogram.builder().name("densitylab_request_duration_seconds")
            .help("Time from a request's arrival to its response, by endpoint").labelNames("endpoint")
            .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10).register(registry);
    private final Counter images = Counter.builder().name("densitylab_images_scored_total")
            .help("Images scored, by detector").labelNames("detector").register(registry);
    private final Counter flagged = Counter.builder().name("densitylab_images_ood_total")
            .help("Images above the detector's threshold, by detector").labelNames("detector").register(registry);
    private final Gauge recentRate = Gauge.builder().name("densitylab_ood_fraction_recent")
            .help("Fraction of the detector's last " + RECENT + " scored images above its threshold").labelNames("detector").register(registry);
    private final Histogram batchSizes = Histogram.builder().name("densitylab_model_call_images")
            .help("Images per model call of single-image requests scored together, by detector").labelNames("detector")
            .classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256).register(registry);
    private final Map<String, Recent> recent = new ConcurrentHashMap<>();

    /** A ring of the last verdicts of one detector. */
    private static final class Recent {
        private final boolean[] ring = new boolean[RECENT];
        private int next;
        private int size;
        private int ood;

        synchronized double add(boolean isOod) {
            if (size == RECENT) {
                ood -= ring[next] ? 1 : 0;
            } else {
                size++;
            }
            ring[next] = isOod;
            ood += isOod ? 1 : 0;
            next = (next + 1) % RECENT;
            return ood / (double) size;
        }
    }

    void request(String endpoint, int status, double seconds) {
        String s = Integer.toString(status);
        requests.labelValues(endpoint, s).inc();
        if (status >= 400) {
            errors.labelValues(endpoint, s).inc();
        }
        latency.labelValues(endpoint).observe(seconds);
    }

    void verdict(String detector, boolean isOod) {
        images.labelValues(detector).inc();
        if (isOod) {
            flagged.labelValues(detector).inc();
        }
        recentRate.labelValues(detector).set(recent.computeIfAbsent(detector, d -> new Recent()).add(isOod));
    }

    void modelCall(String detector, int imagesInCall) {
        batchSizes.labelValues(detector).observe(imagesInCall);
    }

    /** Registers a detector's series at zero, so a dashboard sees it before its first request. */
    void detector(String name) {
        images.labelValues(name);
        flagged.labelValues(name);
    }

    /** The Prometheus text exposition format (version 0.0.4). */
    String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }
}

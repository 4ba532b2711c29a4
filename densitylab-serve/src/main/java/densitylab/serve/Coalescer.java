package densitylab.serve;

import densitylab.data.ImageSet;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.IntConsumer;

/**
 * Scores single images that arrive concurrently in one model call: one worker thread per detector takes every image
 * waiting (up to a maximum) and scores them together, so requests that queue behind a running call share the next one.
 * No image waits for company: a lone request is scored at once.
 */
final class Coalescer implements AutoCloseable {
    private record Job(ImageSet image, CompletableFuture<Double> result) {
    }

    private final ServedDetector detector;
    private final int maxImages;
    private final IntConsumer batchSizes;
    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final Thread worker;
    private volatile boolean closed;

    Coalescer(ServedDetector detector, int maxImages, IntConsumer batchSizes) {
        if (maxImages < 1) {
            throw new IllegalArgumentException("images per coalesced call must be at least 1, got " + maxImages);
        }
        this.detector = detector;
        this.maxImages = maxImages;
        this.batchSizes = batchSizes;
        worker = new Thread(this::run, "densitylab-score-" + detector.name());
        worker.setDaemon(true);
        worker.start();
    }

    /** The score of one preprocessed image, when the worker has scored it. */
    CompletableFuture<Double> submit(ImageSet oneImage) {
        CompletableFuture<Double> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new IllegalStateException("the detector " + detector.name() + " is shutting down"));
            return f;
        }
        queue.add(new Job(oneImage, f));
        return f;
    }

    private static final Job STOP = new Job(null, null);

    private void run() {
        List<Job> jobs = new ArrayList<>();
        boolean stop = false;
        while (!stop) {
            jobs.clear();
            try {
                jobs.add(queue.take());
            } catch (InterruptedException e) {
                continue; // only close() stops the worker, through STOP
            }
            queue.drainTo(jobs, maxImages - 1);
            stop = jobs.remove(STOP);
            if (!jobs.isEmpty()) {
                scoreTogether(jobs);
            }
        }
        for (Job j; (j = queue.poll()) != null; ) {
            if (j != STOP) {
                j.result().completeExceptionally(new IllegalStateException("the detector " + detector.name() + " shut down"));
            }
        }
    }

    private void scoreTogether(List<Job> jobs) {
        try {
            List<ImageSet> parts = new ArrayList<>(jobs.size());
            for (Job j : jobs) {
                parts.add(j.image());
            }
            double[] s = detector.score(parts.size() == 1 ? parts.get(0) : ImageSet.concat("requests", parts));
            batchSizes.accept(jobs.size());
            for (int i = 0; i < jobs.size(); i++) {
                jobs.get(i).result().complete(s[i]);
            }
        } catch (Throwable t) {
            for (Job j : jobs) {
                j.result().completeExceptionally(t);
            }
        }
    }

    /** Scores what was queued before it, then stops the worker. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        queue.add(STOP);
        try {
            worker.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

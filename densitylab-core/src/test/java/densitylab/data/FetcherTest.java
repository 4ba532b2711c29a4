package densitylab.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FetcherTest {
    @TempDir
    Path tmp;

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** A one-split IDX data set whose files are made here; returns it with the given published gz bytes. */
    private Dataset tinySet(byte[] rawImages, byte[] gzImages, byte[] rawLabels, byte[] gzLabels, List<Path> systemDirs) throws Exception {
        URI dead = URI.create("http://127.0.0.1:9/nothing/");
        RemoteFile img = new RemoteFile("tiny-images-idx3-ubyte", List.of(dead.resolve("tiny-images-idx3-ubyte.gz")),
                sha(gzImages), gzImages.length, sha(rawImages));
        RemoteFile lab = new RemoteFile("tiny-labels-idx1-ubyte", List.of(dead.resolve("tiny-labels-idx1-ubyte.gz")),
                sha(gzLabels), gzLabels.length, sha(rawLabels));
        Map<String, Dataset.Split> splits = new LinkedHashMap<>();
        splits.put("test", new Dataset.Split("test", 6, List.of(img, lab), List.of()));
        return new Dataset("tiny", "test set", Dataset.Format.IDX, new int[] {1, 4, 4}, splits, systemDirs, List.of());
    }

    private record Files4(byte[] rawImages, byte[] gzImages, byte[] rawLabels, byte[] gzLabels) {
    }

    private Files4 makeFiles(Path where) throws IOException {
        Files.createDirectories(where);
        ImageSet set = TestImages.random("tiny", 6, 1, 4, 4, 10, 7);
        IdxFormat.write(set, where.resolve("tiny-images-idx3-ubyte"), where.resolve("tiny-labels-idx1-ubyte"));
        IdxFormat.write(set, where.resolve("tiny-images-idx3-ubyte.gz"), where.resolve("tiny-labels-idx1-ubyte.gz"));
        return new Files4(Files.readAllBytes(where.resolve("tiny-images-idx3-ubyte")), Files.readAllBytes(where.resolve("tiny-images-idx3-ubyte.gz")),
                Files.readAllBytes(where.resolve("tiny-labels-idx1-ubyte")), Files.readAllBytes(where.resolve("tiny-labels-idx1-ubyte.gz")));
    }

    @Test
    void installsVerifiedCopiesFromAUserFolderAndThenUsesTheCache() throws Exception {
        Path src = tmp.resolve("src");
        Files4 f = makeFiles(src);
        Files.delete(src.resolve("tiny-images-idx3-ubyte")); // only the gz of the images: decompressed on install
        Dataset d = tinySet(f.rawImages, f.gzImages, f.rawLabels, f.gzLabels, List.of());
        Fetcher fetcher = new Fetcher(tmp.resolve("cache"), List.of(src), false, false);
        assertThat(fetcher.isCached(d, "test")).isFalse();
        List<Path> got = fetcher.fetch(d, "test");
        assertThat(Files.readAllBytes(got.get(0))).isEqualTo(f.rawImages);
        assertThat(Files.readAllBytes(got.get(1))).isEqualTo(f.rawLabels);
        assertThat(fetcher.isCached(d, "test")).isTrue();
        ImageSet set = IdxFormat.read("t", got.get(0), got.get(1));
        assertThat(set.size()).isEqualTo(6);
        // the source can vanish: the cache answers
        deleteTree(src);
        assertThat(new Fetcher(tmp.resolve("cache"), List.of(), false, false).fetch(d, "test")).isEqualTo(got);
    }

    @Test
    void corruptCopyIsRejectedAndLeavesNothingInTheCache() throws Exception {
        Path src = tmp.resolve("src");
        Files4 f = makeFiles(src);
        Dataset d = tinySet(f.rawImages, f.gzImages, f.rawLabels, f.gzLabels, List.of());
        byte[] corrupt = f.rawImages.clone();
        corrupt[40] ^= 1;
        Files.delete(src.resolve("tiny-images-idx3-ubyte.gz"));
        Files.write(src.resolve("tiny-images-idx3-ubyte"), corrupt);
        Fetcher fetcher = new Fetcher(tmp.resolve("cache"), List.of(src), true, false);
        assertThatThrownBy(() -> fetcher.fetch(d, "test"))
                .isInstanceOf(FetchException.class)
                .hasMessageContaining("checksum mismatch")
                .hasMessageContaining(src.resolve("tiny-images-idx3-ubyte").toString())
                .hasMessageContaining("http://127.0.0.1:9/nothing/tiny-images-idx3-ubyte.gz: download failed")
                .hasMessageContaining("Remedy: put tiny-images-idx3-ubyte.gz");
        try (Stream<Path> s = Files.walk(tmp.resolve("cache"))) {
            assertThat(s.filter(Files::isRegularFile).toList()).isEmpty();
        }
    }

    @Test
    void systemLocationsAreSearched() throws Exception {
        Path sys = tmp.resolve("usr-share");
        Files4 f = makeFiles(sys);
        Dataset d = tinySet(f.rawImages, f.gzImages, f.rawLabels, f.gzLabels, List.of(sys));
        Fetcher fetcher = new Fetcher(tmp.resolve("cache"), List.of(), false, false);
        assertThat(fetcher.fetch(d, "test")).allSatisfy(p -> assertThat(p).startsWith(tmp.resolve("cache")));
    }

    @Test
    void missingEverywhereSaysWhatWasTried() throws Exception {
        Files4 f = makeFiles(tmp.resolve("elsewhere"));
        Dataset d = tinySet(f.rawImages, f.gzImages, f.rawLabels, f.gzLabels, List.of(tmp.resolve("nope")));
        Fetcher fetcher = new Fetcher(tmp.resolve("cache"), List.of(), false, false);
        assertThatThrownBy(() -> fetcher.fetch(d, "test"))
                .isInstanceOf(FetchException.class)
                .hasMessageContaining("official addresses: skipped (offline)")
                .hasMessageContaining("local folders [" + tmp.resolve("nope") + "]")
                .satisfies(e -> assertThat(((FetchException) e).attempts()).hasSize(2));
    }

    @Test
    void realCatalogSetsAreFetchedAndVerified() throws IOException {
        DataResolver r = new DataResolver(new Fetcher(tmp.resolve("cache"), List.of(), false, true));
        for (String name : List.of("fashion-mnist", "mnist")) {
            ImageSet test = r.load(name + ":test", "train");
            assertThat(test.size()).isEqualTo(10000);
            assertThat(test.shape()).containsExactly(1, 28, 28);
            assertThat(test.hasLabels()).isTrue();
            assertThat(test.labels()).containsOnly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}

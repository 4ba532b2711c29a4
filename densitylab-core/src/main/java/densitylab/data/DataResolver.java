package densitylab.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Turns a data set spec into an {@link ImageSet}. A spec is
 * {@code BASE[:SPLIT][+TRANSFORM...]} where BASE is a catalog name ({@code fashion-mnist}), a
 * synthetic set with an optional shape ({@code noise}, {@code constant@32x32x3}), or a path to a folder
 * of PNG/JPEG images, an IDX file, a CIFAR .bin file or an SVHN .mat file; transforms are those of
 * {@link SetTransforms}, e.g. {@code mnist:test+invert} or {@code fashion-mnist+scale=0.5}.
 */
public final class DataResolver {
    /** Images in a synthetic set unless told otherwise. */
    public static final int DEFAULT_SYNTHETIC_COUNT = 10000;

    private final Fetcher fetcher;
    private final int[] shapeHint;
    private final int syntheticCount;
    private final long seed;
    private final ImageFolder.Options folderOptions;

    /** A parsed spec; split and shape are null when not given. */
    public record Spec(String base, String split, int[] shape, List<String> transforms, boolean isPath) {
    }

    public DataResolver(Fetcher fetcher) {
        this(fetcher, null, DEFAULT_SYNTHETIC_COUNT, 0L, ImageFolder.Options.defaults());
    }

    private DataResolver(Fetcher fetcher, int[] shapeHint, int syntheticCount, long seed, ImageFolder.Options folderOptions) {
        this.fetcher = fetcher;
        this.shapeHint = shapeHint;
        this.syntheticCount = syntheticCount;
        this.seed = seed;
        this.folderOptions = folderOptions;
    }

    /** Synthetic sets without a shape of their own take this [C, H, W] shape. */
    public DataResolver withShapeHint(int[] chw) {
        return new DataResolver(fetcher, chw == null ? null : chw.clone(), syntheticCount, seed, folderOptions);
    }

    /** Number of images in synthetic sets. */
    public DataResolver withSyntheticCount(int n) {
        return new DataResolver(fetcher, shapeHint, n, seed, folderOptions);
    }

    /** Seed of synthetic sets. */
    public DataResolver withSeed(long s) {
        return new DataResolver(fetcher, shapeHint, syntheticCount, s, folderOptions);
    }

    /** How folders of images are read. */
    public DataResolver withFolderOptions(ImageFolder.Options o) {
        return new DataResolver(fetcher, shapeHint, syntheticCount, seed, o);
    }

    public Fetcher fetcher() {
        return fetcher;
    }

    /**
     * A short name for tables and pictures: a spec whose base is a path becomes the path's last element followed by
     * its transforms (/data/x/kmnist-idx3-ubyte+invert -> kmnist-idx3-ubyte+invert); any other spec stays as it is.
     */
    public static String shortName(String spec) {
        String head = spec.split("\\+")[0];
        Path p = Files.exists(Path.of(spec)) ? Path.of(spec) : Files.exists(Path.of(head)) ? Path.of(head) : null;
        if (p == null || p.getFileName() == null) {
            return spec;
        }
        String rest = p.toString().equals(spec) ? "" : spec.substring(head.length());
        return p.getFileName() + rest;
    }

    /** Parses a spec without loading anything. */
    public static Spec parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty data set spec");
        }
        if (Files.exists(Path.of(spec))) {
            return new Spec(spec, null, null, List.of(), true);
        }
        String[] plus = spec.split("\\+");
        String head = plus[0];
        List<String> ops = new ArrayList<>(Arrays.asList(plus).subList(1, plus.length));
        if (Files.exists(Path.of(head))) {
            return new Spec(head, null, null, ops, true);
        }
        int[] shape = null;
        int at = head.indexOf('@');
        String split = null;
        int colon = head.lastIndexOf(':');
        if (colon >= 0) {
            split = head.substring(colon + 1);
            head = head.substring(0, colon);
        }
        if (at >= 0 && at < head.length()) {
            shape = Synthetic.parseShape(head.substring(at + 1));
            head = head.substring(0, at);
        }
        boolean looksLikePath = head.contains("/") || head.contains(java.io.File.separator)
                || head.matches(".*\\.(mat|bin|gz|png|jpe?g|idx[13]-ubyte)$");
        if (looksLikePath) {
            throw new IllegalArgumentException("no such file or folder: " + head);
        }
        if (!Synthetic.isSynthetic(head) && !Catalog.contains(head)) {
            Catalog.get(head); // throws with the list of known names
        }
        return new Spec(head, split, shape, ops, false);
    }

    /**
     * Loads a spec.
     *
     * @param defaultSplit the split of a catalog set when the spec names none (train for training, test for scoring)
     */
    public ImageSet load(String spec, String defaultSplit) throws IOException {
        Spec s = parse(spec);
        ImageSet set;
        if (s.isPath()) {
            set = readPath(Path.of(s.base()));
        } else if (Synthetic.isSynthetic(s.base())) {
            int[] shape = s.shape() != null ? s.shape() : shapeHint;
            if (shape == null) {
                throw new densitylab.io.SettingException("synthetic set '" + s.base() + "' needs a shape: write e.g. "
                        + s.base() + "@28x28x1, or set the synthetic sets' shape", "shape");
            }
            set = Synthetic.generate(s.base(), syntheticCount, shape[0], shape[1], shape[2], seed);
        } else {
            set = loadCatalog(Catalog.get(s.base()), s.split() != null ? s.split() : defaultSplit);
        }
        for (String op : s.transforms()) {
            set = SetTransforms.apply(set, op);
        }
        return set.withName(spec);
    }

    /** Loads a catalog split, fetching and verifying its files first. */
    public ImageSet loadCatalog(Dataset d, String split) throws IOException {
        Dataset.Split sp = d.split(split);
        List<Path> files = fetcher.fetch(d, split);
        String name = d.name() + ":" + split;
        ImageSet set = switch (d.format()) {
            case IDX -> IdxFormat.read(name, files.get(0), files.get(1));
            case CIFAR10, CIFAR100 -> CifarBinary.read(name,
                    Fetcher.extractMembers(files.get(0), sp.members(), fetcher.cacheDir().resolve(d.name())),
                    d.format() == Dataset.Format.CIFAR10 ? CifarBinary.Variant.CIFAR10 : CifarBinary.Variant.CIFAR100);
            case SVHN -> SvhnMat.read(name, files.get(0));
        };
        if (set.size() != sp.count() || !Arrays.equals(set.shape(), d.shape())) {
            throw new DataFormatException(name + ": expected " + sp.count() + " images of " + d.shapeString() + ", read "
                    + set.size() + " of " + set.shapeString());
        }
        return set;
    }

    /** Reads a file or folder, choosing the reader by what it is. */
    public ImageSet readPath(Path p) throws IOException {
        String name = p.getFileName() == null ? p.toString() : p.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        if (Files.isDirectory(p)) {
            return ImageFolder.read(name, p, folderOptions);
        }
        if (!Files.isRegularFile(p)) {
            throw new IOException("no such file or folder: " + p);
        }
        if (lower.endsWith(".mat")) {
            return SvhnMat.read(name, p);
        }
        if (lower.endsWith(".bin")) {
            long len = Files.size(p);
            CifarBinary.Variant v = len % 3073 == 0 || len % 3074 != 0 ? CifarBinary.Variant.CIFAR10 : CifarBinary.Variant.CIFAR100;
            return CifarBinary.read(name, List.of(p), v);
        }
        Path labels = null;
        if (name.contains("images-idx3")) {
            String base = name.replace("images-idx3", "labels-idx1");
            for (String cand : List.of(base, base.replace(".gz", ""), base.endsWith(".gz") ? base : base + ".gz")) {
                Path c = p.resolveSibling(cand);
                if (Files.isRegularFile(c)) {
                    labels = c;
                    break;
                }
            }
        }
        return IdxFormat.read(name, p, labels);
    }
}

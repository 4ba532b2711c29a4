package densitylab.data;

import java.net.URI;
import java.util.List;

/**
 * One file of a catalog data set: the name it has in the cache, where it can be downloaded, and
 * how to verify it.
 *
 * @param fileName       name in the cache (for IDX files the decompressed name, e.g. train-images-idx3-ubyte)
 * @param urls           official download addresses, tried in order
 * @param archiveSha256  SHA-256 of the file as published at the addresses (e.g. the .gz)
 * @param archiveSize    size in bytes of the published file, or -1 when unknown
 * @param contentSha256  SHA-256 of the content as cached (decompressed IDX); equal to archiveSha256 when
 *                       the cache keeps the published file as it is
 */
public record RemoteFile(String fileName, List<URI> urls, String archiveSha256, long archiveSize, String contentSha256) {
    /** True when the cache keeps a decompressed copy of a gzip download. */
    public boolean decompressed() {
        return !archiveSha256.equals(contentSha256);
    }

    /** The published file's own name (the last part of its first address). */
    public String archiveName() {
        String path = urls.get(0).getPath();
        return path.substring(path.lastIndexOf('/') + 1);
    }
}

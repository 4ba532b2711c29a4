package densitylab.io;

import java.util.LinkedHashMap;
import java.util.Map;

/** The versions of everything that shapes a result, for provenance in config files, reports and bundles. */
public final class Versions {
    private Versions() {
    }

    /** densitylab's own version ("dev" outside a jar), DJL's, PyTorch's, Java's and the operating system. */
    public static Map<String, Object> all() {
        Map<String, Object> v = new LinkedHashMap<>();
        String own = Versions.class.getPackage().getImplementationVersion();
        v.put("densitylab", own == null ? "dev" : own);
        v.put("djl", "0.32.0");
        v.put("pytorch", "2.5.1");
        v.put("java", System.getProperty("java.version"));
        v.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        return v;
    }
}

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
        v.put("djl", ai.djl.engine.Engine.getDjlVersion());
        v.put("pytorch", pytorchVersion());
        v.put("java", System.getProperty("java.version"));
        v.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        return v;
    }

    /** The libtorch version of the native jar on the class path (its pytorch.properties), "unknown" without one. */
    static String pytorchVersion() {
        try (java.io.InputStream in = Versions.class.getClassLoader().getResourceAsStream("native/lib/pytorch.properties")) {
            if (in == null) {
                return "unknown";
            }
            java.util.Properties p = new java.util.Properties();
            p.load(in);
            return p.getProperty("version", "unknown").replaceFirst("-.*", ""); // "2.5.1-20241113": the build date dropped
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}

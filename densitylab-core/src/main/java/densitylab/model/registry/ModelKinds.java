package densitylab.model.registry;

import densitylab.model.GenerativeModel;
import densitylab.nn.ModelFiles;
import densitylab.model.ModelKind;
import densitylab.model.PixelCategoricalKind;
import densitylab.model.classic.ClassicKinds;
import densitylab.model.flow.FlowKinds;
import densitylab.model.ar.ArKinds;
import densitylab.model.diffusion.DiffusionKind;
import densitylab.model.gan.GanKinds;
import densitylab.model.vae.VaeKind;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The registry of model kinds by name, and loading a saved model whatever its kind. */
public final class ModelKinds {
    private static final Map<String, ModelKind> KINDS = new LinkedHashMap<>();

    static {
        List<ModelKind> all = new ArrayList<>(ClassicKinds.all());
        all.add(new PixelCategoricalKind());
        all.addAll(FlowKinds.all());
        all.add(VaeKind.kind());
        all.addAll(ArKinds.all());
        all.addAll(GanKinds.all());
        all.add(DiffusionKind.kind());
        for (ModelKind k : all) {
            KINDS.put(k.name(), k);
        }
    }

    private ModelKinds() {
    }

    /** Every registered kind, in listing order. */
    public static List<ModelKind> all() {
        return List.copyOf(KINDS.values());
    }

    /** The kind, or an error listing the known ones. */
    public static ModelKind get(String name) {
        ModelKind k = KINDS.get(name);
        if (k == null) {
            throw new IllegalArgumentException("unknown model '" + name + "'; known: " + String.join(", ", KINDS.keySet()));
        }
        return k;
    }

    /**
     * Loads the model saved in dir (its model.json names the kind), after checking its files against the SHA-256
     * manifest {@link #save} wrote.
     *
     * @throws IOException naming a file that does not match the manifest
     */
    public static GenerativeModel load(Path dir) throws IOException {
        ModelFiles.verifyManifest(dir);
        return get(ModelFiles.readMeta(dir).get("kind").asText()).load(dir);
    }

    /** Saves model into dir and writes the SHA-256 manifest of its files, which {@link #load} checks. */
    public static void save(GenerativeModel model, Path dir) throws IOException {
        // an old manifest must not sit beside new files while they are written (a missing manifest passes)
        java.nio.file.Files.deleteIfExists(dir.resolve(ModelFiles.MANIFEST));
        model.save(dir);
        ModelFiles.writeManifest(dir);
    }
}

package densitylab.run;

import densitylab.io.SettingException;
import densitylab.model.DensityModel;
import densitylab.model.GenerativeModel;
import densitylab.score.RelatedModels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The background model and ensemble members of a run folder, loaded when a score first asks for them, and the models
 * of other runs trained on the same data as the combined score's peers. Closing it closes the models it loaded, not
 * the scored model it was given.
 */
public final class RunModels implements RelatedModels, AutoCloseable {
    private final RunFolder rf;
    private final GenerativeModel scored;
    private DensityModel background;
    private List<DensityModel> ensemble;
    private final java.util.Map<String, GenerativeModel> peers;

    /** scored: the run's own model, already loaded (member 1 of an ensemble, not loaded again). */
    public RunModels(RunFolder rf, GenerativeModel scored) {
        this.rf = rf;
        this.scored = scored;
        this.peers = java.util.Map.of();
    }

    /**
     * With the models of the runs in with as peers, named by their folders' names, loaded now.
     *
     * @throws IllegalArgumentException when a run in with was trained on other data, or two share a folder name
     */
    public RunModels(RunFolder rf, GenerativeModel scored, List<java.nio.file.Path> with) throws IOException {
        this.rf = rf;
        this.scored = scored;
        java.util.Map<String, GenerativeModel> p = new java.util.LinkedHashMap<>();
        String spec = with.isEmpty() ? null : rf.trainingSpec("the combined score");
        try {
            for (java.nio.file.Path dir : with) {
                RunFolder other = new RunFolder(dir);
                if (!spec.equals(other.trainingSpec("the combined score"))) { // shapes: checked where the statistics are built
                    throw new IllegalArgumentException(dir + " holds a model of other images (" + other.trainingSpec("its training")
                            + ") than " + rf.dir() + "'s (" + spec + "): the combined score combines models of the same data");
                }
                String name = dir.toAbsolutePath().normalize().getFileName().toString();
                if (p.containsKey(name)) {
                    throw new IllegalArgumentException("two runs joining the combined score are named '" + name + "': rename one folder");
                }
                p.put(name, other.loadModel());
            }
        } catch (IOException | RuntimeException e) {
            p.values().forEach(GenerativeModel::close);
            throw e;
        }
        this.peers = java.util.Collections.unmodifiableMap(p);
    }

    /** Closes the background, ensemble members and peers loaded so far (the scored model stays open). */
    @Override
    public void close() {
        if (background != null) {
            background.close();
        }
        if (ensemble != null) {
            ensemble.stream().filter(m -> m != scored).forEach(GenerativeModel::close);
        }
        peers.values().forEach(GenerativeModel::close);
    }

    @Override
    public java.util.Map<String, GenerativeModel> peers() {
        return peers;
    }

    @Override
    public DensityModel background() {
        if (background == null) {
            if (!rf.background().hasModel()) {
                throw new SettingException("score 'likelihood-ratio' needs a background model, and " + rf.dir()
                        + " has none: train the run again with a background (pixel replacement rate 0.2)", "background");
            }
            background = density(rf.background());
        }
        return background;
    }

    @Override
    public List<DensityModel> ensemble() {
        if (ensemble == null) {
            List<RunFolder> members = rf.ensemble();
            if (members.size() < 2) {
                throw new SettingException("score 'waic' needs an ensemble, and " + rf.dir() + " holds one model: "
                        + "train the run again as an ensemble of 5", "ensemble");
            }
            List<DensityModel> out = new ArrayList<>();
            try {
                for (RunFolder m : members) {
                    out.add(m == members.get(0) && scored instanceof DensityModel d ? d : density(m));
                }
            } catch (RuntimeException e) {
                out.stream().filter(m -> m != scored).forEach(GenerativeModel::close);
                throw e;
            }
            ensemble = out;
        }
        return ensemble;
    }

    private static DensityModel density(RunFolder f) {
        try {
            GenerativeModel m = f.loadModel();
            if (m instanceof DensityModel d) {
                return d;
            }
            m.close();
            throw new IllegalArgumentException(f.dir() + " holds a model without a likelihood");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

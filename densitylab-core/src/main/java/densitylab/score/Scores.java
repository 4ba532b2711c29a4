package densitylab.score;

import densitylab.model.DensityModel;
import densitylab.model.GenerativeModel;
import densitylab.model.ModelKind;
import densitylab.model.OwnScores;
import densitylab.model.ScoreOptions;
import densitylab.model.registry.ModelKinds;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Builds scores by name for a model: the scores of any likelihood here, the scores a model family computes itself
 * through {@link OwnScores} (named by its {@link ModelKind#ownScores()}), with errors that say which models a score needs.
 */
public final class Scores {
    /** The scores built here for any model (from its likelihood, its related models, or its statistics), not by a family. */
    public static final List<String> GENERAL_SCORES = List.of("likelihood", "typicality", "likelihood-ratio", "input-complexity",
            "input-complexity-bzip2", "input-complexity-deflate", "waic", "combined", "combined-full");

    /** Every score name this build knows: those of any likelihood, then the families' own. */
    public static final List<String> NAMES = allNames();

    private Scores() {
    }

    private static List<String> allNames() {
        Set<String> all = new LinkedHashSet<>(GENERAL_SCORES);
        for (ModelKind k : ModelKinds.all()) {
            all.addAll(k.ownScores());
        }
        return List.copyOf(all);
    }

    /**
     * True for a score the model family computes itself (a VAE's elbo, a GAN's discriminator): it needs the model,
     * not a wrapper of its likelihood.
     */
    public static boolean needsTheModel(String name) {
        return !GENERAL_SCORES.contains(name) && NAMES.contains(name);
    }

    /** True for the combined scores: combined (cheap statistics) and combined-full (with per-input optimisation). */
    public static boolean isCombined(String name) {
        return name.equals("combined") || name.equals("combined-full");
    }

    /**
     * True for the scores fitted on in-distribution images before they score: typicality, the combined scores and the
     * families' derived scores ({@link ModelKind#fittedScores()}).
     */
    public static boolean learnsFromImages(String name) {
        return name.equals("typicality") || isCombined(name)
                || ModelKinds.all().stream().anyMatch(k -> k.fittedScores().contains(name));
    }

    /** The scores computed when none are named: the model kind's {@link ModelKind#defaultScores()}. */
    public static List<String> defaultsFor(GenerativeModel model) {
        return ModelKinds.get(model.kind()).defaultScores();
    }

    /** The named score for this model (not yet fitted), with default options. */
    public static OodScore create(String name, GenerativeModel model) {
        return create(name, model, ScoreOptions.defaults());
    }

    /** The named score for this model (not yet fitted), without related models. */
    public static OodScore create(String name, GenerativeModel model, ScoreOptions o) {
        return create(name, model, o, RelatedModels.NONE);
    }

    /**
     * The named score for this model (not yet fitted); likelihood-ratio takes the background model and waic the
     * ensemble from related.
     *
     * @throws IllegalArgumentException for an unknown score or one this model cannot compute, naming the kinds that can
     */
    public static OodScore create(String name, GenerativeModel model, ScoreOptions o, RelatedModels related) {
        if (name.equals("input-complexity") || name.startsWith("input-complexity-")) {
            String c = name.equals("input-complexity") ? Compressor.PNG_BEST.id() : name.substring("input-complexity-".length());
            return new InputComplexityScore(density(name, model), Compressor.of(c));
        }
        switch (name) {
            case "likelihood":
                return new LikelihoodScore(density(name, model));
            case "typicality":
                return new TypicalityScore(density(name, model));
            case "likelihood-ratio":
                return new LikelihoodRatioScore(density(name, model), related.background());
            case "waic":
                return new WaicScore(related.ensemble());
            case "combined", "combined-full":
                return combined(name, model, model instanceof DensityModel d ? d : null, o, related);
            default:
                break;
        }
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown score '" + name + "'; known: " + String.join(", ", NAMES));
        }
        OwnScores.DerivedScore derived = model instanceof OwnScores own ? own.derivedScore(name, o) : null;
        if (derived != null) {
            return derived(derived, (OwnScores) model, o);
        }
        OwnScores.ScoreFunction f = model instanceof OwnScores own ? own.ownScore(name, o) : null;
        if (f == null) {
            throw new IllegalArgumentException("score '" + name + "' is computed by " + kindsComputing(name)
                    + ", and the model is a " + model.kind());
        }
        return OodScore.of(name, f::score);
    }

    /** A derived score over the model's own statistics, not yet fitted. */
    private static OodScore derived(OwnScores.DerivedScore d, OwnScores model, ScoreOptions o) {
        List<OodScore> statistics = new ArrayList<>();
        for (String s : d.statistics()) {
            OwnScores.ScoreFunction f = model.ownScore(s, o);
            if (f == null) {
                throw new IllegalStateException(d.name() + " combines the statistic '" + s + "', which the model does not compute");
            }
            statistics.add(OodScore.of(s, f::score));
        }
        return switch (d.combination()) {
            case DENSITY -> new CombinedScore(d.name(), statistics, 0);
            case STANDARDISED_MEAN -> new StandardisedMean(d.name(), statistics);
        };
    }

    /** The kinds whose models compute the score name, as "a dcgan (DCGAN) or ganomaly (GANomaly) model". */
    private static String kindsComputing(String name) {
        List<String> kinds = new ArrayList<>();
        for (ModelKind k : ModelKinds.all()) {
            if (k.ownScores().contains(name)) {
                kinds.add(k.name() + " (" + k.description().split("[(;:]")[0].strip() + ")");
            }
        }
        return "a " + String.join(" or ", kinds) + " model";
    }

    /**
     * The statistics the combined score combines (likelihood: the model's likelihood, possibly shared with other scores,
     * or null): the compressed length of each image as PNG with its best filter (bits/dim);
     * where the model's likelihood is cheap ({@link ModelKind#cheapLikelihood()}: one network pass, not a VAE's IWAE)
     * its bits/dim, and the likelihood ratio when a background model is at hand; then the model's own cheap statistics
     * ({@link OwnScores#statistics()}: a flow's per-level bits/dim, a VAE's rate, distortion and reconstruction error, a
     * GAN's discriminator); then each of related's peers' statistics but the compressed length (which depends on no
     * model), named PEER:STATISTIC, without the peers' own related models. With full, each model's
     * {@link OwnScores#costlyStatistics()} too.
     */
    public static List<OodScore> statistics(GenerativeModel model, DensityModel likelihood, ScoreOptions o, RelatedModels related,
                                            boolean full) {
        List<OodScore> s = ownStatistics(model, likelihood, o, related, full);
        for (var peer : related.peers().entrySet()) {
            GenerativeModel m = peer.getValue();
            if (!java.util.Arrays.equals(m.shape(), model.shape())) {
                throw new IllegalArgumentException("the combined score combines models of the same images, and '" + peer.getKey()
                        + "' takes " + java.util.Arrays.toString(m.shape()) + " where the scored model takes "
                        + java.util.Arrays.toString(model.shape()));
            }
            for (OodScore p : ownStatistics(m, m instanceof DensityModel d ? new MemoizedDensity(d) : null, o, RelatedModels.NONE, full)) {
                if (!p.name().startsWith("complexity-")) {
                    s.add(OodScore.of(peer.getKey() + ":" + p.name(), p::score));
                }
            }
        }
        return s;
    }

    /**
     * The combined score name ({@code combined} or {@code combined-full}) over model's statistics and its peers', not yet
     * fitted; likelihood is the model's likelihood (possibly shared with other scores), or null.
     */
    public static CombinedScore combined(String name, GenerativeModel model, DensityModel likelihood, ScoreOptions o,
                                         RelatedModels related) {
        if (!isCombined(name)) {
            throw new IllegalArgumentException("'" + name + "' is not a combined score; known: combined, combined-full");
        }
        return new CombinedScore(combinedName(name, related), statistics(model, likelihood, o, related, name.equals("combined-full")), 0);
    }

    /**
     * A combined score's name: score (combined or combined-full), with +PEER for each peer (so that cached columns of one
     * combination are not another's).
     */
    public static String combinedName(String score, RelatedModels related) {
        return score + String.join("", related.peers().keySet().stream().map(p -> "+" + p).toList());
    }

    private static List<OodScore> ownStatistics(GenerativeModel model, DensityModel likelihood, ScoreOptions o, RelatedModels related,
                                                boolean full) {
        List<OodScore> s = new ArrayList<>();
        if (likelihood != null && ModelKinds.get(model.kind()).cheapLikelihood()) {
            DensityModel d = likelihood;
            s.add(new LikelihoodScore(d));
            if (related.hasBackground()) {
                s.add(new LikelihoodRatioScore(d, related.background()));
            }
        }
        // the best-filter PNG only: bzip2's lengths ranked the sets about as PNG's did at ten times the cost (docs/combined.md)
        s.add(OodScore.of("complexity-png-best", x -> InputComplexityScore.complexity(x, Compressor.PNG_BEST)));
        if (model instanceof OwnScores own) {
            List<String> names = new ArrayList<>(own.statistics());
            if (full) {
                names.addAll(own.costlyStatistics());
            }
            for (String n : names) {
                s.add(OodScore.of(n, own.ownScore(n, o)::score));
            }
        }
        return s;
    }

    private static DensityModel density(String score, GenerativeModel model) {
        if (model instanceof DensityModel d) {
            return d;
        }
        throw new IllegalArgumentException("score '" + score + "' needs a likelihood, and a " + model.kind() + " model has none");
    }
}

package densitylab.run;

import densitylab.data.DataResolver;
import densitylab.data.ImageSet;
import densitylab.detect.OodDetector;
import densitylab.detect.Preprocessing;
import densitylab.model.DensityModel;
import densitylab.model.GenerativeModel;
import densitylab.model.ScoreOptions;

import java.util.ArrayList;
import java.util.List;

/** Fitting a production detector from a run, as {@code densitylab detector fit} does. */
public final class DetectorFitting {
    private DetectorFitting() {
    }

    /**
     * What to fit.
     *
     * @param run            the run folder
     * @param score          the score's name
     * @param validationSpec in-distribution validation images not used in training (a catalog name means its test split)
     * @param tpr            fraction of in-distribution images the threshold keeps
     * @param resize         what the detector does with images of another shape
     * @param selection      which validation images
     * @param fitLimit       training images for scores that learn from them (typicality)
     * @param options        the score's settings
     * @param data           where data comes from
     * @param with           other runs trained on the same data whose models join the combined score (the bundle carries them)
     */
    public record DetectorRequest(java.nio.file.Path run, String score, String validationSpec, double tpr,
                                  Preprocessing.Resize resize, DataSettings.Selection selection, int fitLimit,
                                  ScoreOptions options, DataSettings data, List<java.nio.file.Path> with) {
        public DetectorRequest {
            with = List.copyOf(with);
            if (!with.isEmpty() && !densitylab.score.Scores.isCombined(score)) {
                throw new densitylab.io.SettingException("only the combined score takes other runs' models, and the score is '"
                        + score + "'", "with", "score");
            }
        }

        /** Without other runs. */
        public DetectorRequest(java.nio.file.Path run, String score, String validationSpec, double tpr,
                               Preprocessing.Resize resize, DataSettings.Selection selection, int fitLimit,
                               ScoreOptions options, DataSettings data) {
            this(run, score, validationSpec, tpr, resize, selection, fitLimit, options, data, List.of());
        }
    }

    /**
     * The run's model (loaded once), with its background model and ensemble when the score needs them, calibrated on
     * the validation images. The detector owns the models: close it when done.
     */
    public static OodDetector fit(DetectorRequest req) throws Exception {
        RunFolder rf = new RunFolder(req.run());
        GenerativeModel model = rf.loadModel();
        RunModels related = null;
        try {
            DataResolver r = req.data().resolver();
            ImageSet validation = req.data().load(r, req.validationSpec(), "test", model.shape(), req.selection());
            ImageSet fitData = null;
            if (densitylab.score.Scores.learnsFromImages(req.score())) {
                fitData = RunScores.fitImages(rf, req.data(), r, model.shape(), req.fitLimit(), RunLog.slf4j());
            }
            related = new RunModels(rf, model, req.with());
            DensityModel background = (req.score().equals("likelihood-ratio") || densitylab.score.Scores.isCombined(req.score()))
                    && rf.background().hasModel() ? related.background() : null;
            List<DensityModel> members = req.score().equals("waic") ? related.ensemble() : new ArrayList<>();
            return OodDetector.fit(model, background, members, related.peers(), req.score(), req.options(), fitData, validation,
                    req.validationSpec(), req.tpr(), req.resize());
        } catch (Exception | Error e) {
            if (related != null) {
                related.close();
            }
            model.close();
            throw e;
        }
    }
}

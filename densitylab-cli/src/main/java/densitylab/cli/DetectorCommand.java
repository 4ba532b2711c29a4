package densitylab.cli;

import densitylab.detect.BundleSignature;
import densitylab.detect.Calibration;
import densitylab.detect.OodDetector;
import densitylab.detect.Preprocessing;
import densitylab.run.DataSettings;
import densitylab.run.DetectorFitting;
import densitylab.run.RunFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;



/** {@code densitylab detector}: make production detectors from trained runs. */
@Command(name = "detector", mixinStandardHelpOptions = true, description = "Make an out-of-distribution detector from a trained run.",
        subcommands = {DetectorCommand.Fit.class, DetectorCommand.Keygen.class, DetectorCommand.Sign.class})
final class DetectorCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("give a subcommand: densitylab detector fit --help");
        return 2;
    }

    /** {@code densitylab detector fit}: calibrate a threshold and write the bundle. */
    @Command(name = "fit", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Calibrate a score's threshold on in-distribution validation images so that it keeps --tpr of them, " +
                    "and write the model, score, preprocessing and threshold as one verified bundle file for 'detect' and " +
                    "OodDetector.load.")
    static final class Fit implements Callable<Integer> {
        @Option(names = "--run", required = true, paramLabel = "DIR", description = "Run folder holding a trained model.")
        Path run;

        @Option(names = "--score", required = true, paramLabel = "NAME", description = "The score (see the README's score table).")
        String score;

        @Option(names = "--data", required = true, paramLabel = "SET",
                description = "In-distribution validation images, not used in training (a catalog name means its test split).")
        String data;

        @Option(names = "--tpr", paramLabel = "RATE", defaultValue = "0.95",
                description = "Fraction of in-distribution images to keep (default: ${DEFAULT-VALUE}).")
        double tpr;

        @Option(names = "--out", required = true, paramLabel = "FILE.zip", description = "The bundle to write (atomically).")
        Path out;

        @Option(names = "--resize-policy", paramLabel = "reject|resize", defaultValue = "reject",
                description = "What the detector does with images of another size or colours: refuse them (default) or resize them.")
        String resizePolicy;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "Use the first N validation images only (0 = all).")
        int limit;

        @Option(names = "--fit-limit", paramLabel = "N", defaultValue = "10000",
                description = "Training images for scores that learn from them (typicality; default: ${DEFAULT-VALUE}).")
        int fitLimit;

        @Mixin
        ScoreOptionArgs scoreOptions;

        @Mixin
        DataOptions dataOptions;

        @Option(names = "--sample", paramLabel = "N", defaultValue = "0", description = "Use a random N validation images, "
                + "drawn with the run's seed (0 = none; after --limit).")
        int sample;

        @Option(names = "--with", paramLabel = "DIR", split = ",", description = "Other run folders trained on the same data: "
                + "their models' statistics join --score combined, and the bundle carries the models (repeatable).")
        List<java.nio.file.Path> with = new java.util.ArrayList<>();

        @Option(names = "--sign", paramLabel = "KEY", description = "Sign the bundle with this private key ('detector keygen').")
        Path sign;

        @Override
        public Integer call() throws Exception {
            java.security.KeyPair key = sign == null ? null : BundleSignature.readSigningKey(sign);
            long runSeed = new RunFolder(run).readConfig().get("seed") instanceof Number n ? n.longValue() : 0;
            try (OodDetector d = DetectorFitting.fit(new DetectorFitting.DetectorRequest(run, score, data, tpr,
                    Preprocessing.Resize.parse(resizePolicy), new DataSettings.Selection(limit, sample, runSeed), fitLimit,
                    scoreOptions.toOptions(), dataOptions.settings(), with))) {
                if (key != null) {
                    d.save(out, key);
                } else {
                    d.save(out);
                }
                Calibration c = d.calibration();
                System.out.printf(Locale.ROOT, "%s detector of the %s: threshold %.6g keeps %.4f of %d validation images (asked %.4f) -> %s%n",
                        score, d.model().kind(), c.threshold(), c.achievedTpr(), c.n(), c.targetTpr(), out);
            }
            if (key != null) {
                System.out.println("signed by key " + BundleSignature.fingerprint(key.getPublic()));
            }
            return 0;
        }
    }

    /** {@code densitylab detector keygen}: an Ed25519 key pair for signing bundles. */
    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = "Make an Ed25519 key pair: KEY (private, readable by you only; 'detector fit --sign KEY', 'detector sign') "
                    + "and KEY.pub (public; hand it to whoever loads your bundles: 'detect --trust', 'serve --trust').")
    static final class Keygen implements Callable<Integer> {
        @Option(names = "--out", required = true, paramLabel = "KEY", description = "The private key file to write (never overwritten).")
        Path out;

        @Override
        public Integer call() throws Exception {
            java.security.KeyPair k = BundleSignature.generate();
            BundleSignature.writeKeys(k, out);
            System.out.println("key " + BundleSignature.fingerprint(k.getPublic()) + ": private " + out + ", public "
                    + BundleSignature.publicKeyFile(out));
            return 0;
        }
    }

    /** {@code densitylab detector sign}: add a signature to an existing bundle. */
    @Command(name = "sign", mixinStandardHelpOptions = true,
            description = "Sign a bundle in place with a private key from 'detector keygen' (the bundle is verified first; an earlier "
                    + "signature is replaced).")
    static final class Sign implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE.zip", description = "The bundle to sign.")
        Path bundle;

        @Option(names = "--key", required = true, paramLabel = "KEY", description = "The private key file.")
        Path key;

        @Override
        public Integer call() throws Exception {
            java.security.KeyPair k = BundleSignature.readSigningKey(key);
            BundleSignature.sign(bundle, k);
            System.out.println(bundle + ": signed by key " + BundleSignature.fingerprint(k.getPublic()));
            return 0;
        }
    }
}

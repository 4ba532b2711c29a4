package densitylab.cli;

import densitylab.nn.ConvolutionCheck;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.UncheckedIOException;

/** The densitylab command line. */
@Command(name = "densitylab", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false,
        description = {
                "Train deep generative models on images and measure whether they know what they don't know: " +
                "likelihoods, OOD scores, detection metrics and a self-contained HTML report.",
                "",
                "Data sets are named by specs: a catalog name with an optional split (fashion-mnist:test), " +
                "a synthetic set (noise, constant, gaussian-noise; optionally @HxWxC), a path to a folder of " +
                "PNG/JPEG images, an IDX, CIFAR .bin or SVHN .mat file, each followed by transforms " +
                "(+invert, +hflip, +vflip, +gray, +rgb, +resize=HxW, +scale=F toward the mean image, +contrast=F toward the mean grey)."},
        footer = {"", "Environment: DENSITYLAB_DATA (data cache folder), DENSITYLAB_SOURCES (extra folders holding " +
                "data files), DENSITYLAB_OFFLINE=1 (never use the network).",
                "See '${ROOT-COMMAND-NAME} COMMAND --help' for each command.",
                "The launcher also runs 'spark-score' (score image files with a detector bundle on Apache Spark in local mode; " +
                "'./densitylab spark-score --help')."},
        subcommands = {DemoCommand.class, ReproduceCommand.class, RegretStudyCommand.class, DataCommand.class, TrainCommand.class, ScoreCommand.class,
                EvaluateCommand.class, AuditCommand.class, DetectorCommand.class, DetectCommand.class, ServeCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (0 ok, 1 failure, 2 usage error). */
    public static int run(String... args) {
        if (args.length == 0) {
            args = new String[] {"--help"};
        }
        TerminalProgress.install(); // progress display belongs to the command line, not the library
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            Throwable t = ex instanceof UncheckedIOException u ? u.getCause() : ex;
            if (t instanceof IllegalArgumentException || t instanceof IOException || t instanceof IllegalStateException) {
                cmd.getErr().println(cmd.getColorScheme().errorText("error: " + t.getMessage() + flags(t)));
                if (System.getenv("DENSITYLAB_DEBUG") != null) {
                    t.printStackTrace(cmd.getErr());
                }
                return 1;
            }
            throw ex;
        });
        cl.setExecutionStrategy(parsed -> {
            CommandLine.ParseResult last = parsed;
            boolean help = parsed.isUsageHelpRequested() || parsed.isVersionHelpRequested();
            while (last.hasSubcommand()) {
                last = last.subcommand();
                help |= last.isUsageHelpRequested() || last.isVersionHelpRequested();
            }
            String command = parsed.hasSubcommand() ? parsed.subcommand().commandSpec().name() : "densitylab";
            if (!help && !WITHOUT_LIBTORCH.contains(command)) {
                try {
                    ConvolutionCheck.requireCorrect(); // before a command computes anything with wrong kernels
                } catch (IllegalStateException e) {
                    last.commandSpec().commandLine().getErr().println(
                            last.commandSpec().commandLine().getColorScheme().errorText("error: " + e.getMessage()));
                    return 1;
                }
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) { // the launcher's heap is sized for 28x28 to 32x32 data sets, not for every set
            System.err.println("error: the Java heap (at most " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB) is too small for "
                    + "this command's data: run it again with a larger one, e.g. DENSITYLAB_JAVA_OPTS=-Xmx4g ./densitylab ...");
            return 1;
        }
    }

    /**
     * The command-line options that fix a library error which names settings (the library speaks API terms: resume,
     * resize), as " (options: --resume, --force)"; empty for other errors.
     */
    static String flags(Throwable t) {
        java.util.List<String> settings = t instanceof densitylab.io.SettingException s ? s.settings()
                : t instanceof densitylab.train.TrainingDivergedException d ? d.settings() : java.util.List.of();
        return settings.isEmpty() ? "" : " (options: " + String.join(", ", settings.stream().map(x -> "--" + x).toList()) + ")";
    }

    /** Commands that compute nothing with libtorch, and so need no convolution check. */
    private static final java.util.Set<String> WITHOUT_LIBTORCH = java.util.Set.of("densitylab", "data", "help");

    /** The version from the jar manifest, or "dev". */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            String isa = System.getenv("ONEDNN_MAX_CPU_ISA");
            String choice = System.getenv("DENSITYLAB_ISA_CHOICE");
            return new String[] {"densitylab " + (v == null ? "dev" : v),
                    "DJL " + densitylab.io.Versions.all().get("djl") + ", PyTorch " + densitylab.io.Versions.all().get("pytorch")
                            + " (CPU), Java " + System.getProperty("java.version") + ", heap at most "
                            + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB",
                    "oneDNN instruction set: " + (isa == null ? "libtorch's default (ONEDNN_MAX_CPU_ISA unset)"
                            : isa + (choice == null ? "" : " (" + choice + ")"))};
        }
    }
}

package densitylab.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The launcher's per-machine probe: a child JVM that exits 0 exactly when the instruction set's convolutions are right. */
class ConvolutionProbeTest {
    private static int probe(String isa) throws Exception {
        return run(isa, "ERROR").exitValue();
    }

    /** The probe in a child JVM, its standard error kept. */
    private static Process run(String isa, String torchLogLevel) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(List.of(java.toString(), "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                ConvolutionProbe.class.getName())).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("ONEDNN_MAX_CPU_ISA", isa);
        pb.environment().put("TORCH_CPP_LOG_LEVEL", torchLogLevel);
        Process p = pb.start();
        p.getOutputStream().close();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the probe ends").isTrue();
        return p;
    }

    @Test
    void libtorchHonoursItsLogLevelVariable() throws Exception {
        // DJL never calls c10::initLogging; densitylab does, so ERROR hides libtorch's warnings (NNPACK's on this CPU)
        Process p = run("AVX", "ERROR");
        String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(err.lines().filter(l -> l.matches("^\\[W\\d{4} .*"))).as(err).isEmpty();
    }

    @Test
    void theProbeAgreesWithTheInProcessCheck() throws Exception {
        // this JVM runs under the suite's ONEDNN_MAX_CPU_ISA (AVX, under which every CPU tried so far is right)
        String isa = System.getenv("ONEDNN_MAX_CPU_ISA");
        boolean right = densitylab.nn.ConvolutionCheck.problem().isEmpty();
        assertThat(probe(isa == null ? "ALL" : isa)).isEqualTo(right ? 0 : 1);
    }
}

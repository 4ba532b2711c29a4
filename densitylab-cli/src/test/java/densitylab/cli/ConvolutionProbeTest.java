package densitylab.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The launcher's per-machine probe: a child JVM that exits 0 exactly when the instruction set's convolutions are right. */
class ConvolutionProbeTest {
    private static int probe(String isa) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(List.of(java.toString(), "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                ConvolutionProbe.class.getName())).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("ONEDNN_MAX_CPU_ISA", isa);
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the probe ends").isTrue();
        return p.exitValue();
    }

    @Test
    void theProbeAgreesWithTheInProcessCheck() throws Exception {
        // this JVM runs under the suite's ONEDNN_MAX_CPU_ISA (AVX, under which every CPU tried so far is right)
        String isa = System.getenv("ONEDNN_MAX_CPU_ISA");
        boolean right = densitylab.nn.ConvolutionCheck.problem().isEmpty();
        assertThat(probe(isa == null ? "ALL" : isa)).isEqualTo(right ? 0 : 1);
    }
}

package densitylab.nn;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The convolutions every model stands on are right in the test suite's environment (the pom sets the launcher's
 * ONEDNN_MAX_CPU_ISA): outputs, input and weight gradients of small-channel convolutions, in both memory orders,
 * equal a float64 reference. On the project's CPU the AVX2 and AVX-512 kernels fail this scan (docs/model-code.md).
 */
class ConvolutionCheckTest {
    @Test
    void smallChannelConvolutionsMatchAFloat64ReferenceInBothLayouts() {
        int[] ins = {1, 2, 4, 16, 48};
        int[] outs = {1, 2, 4, 48};
        int[] sizes = {8, 14};
        int[][] kernels = {{3, 1, 1}, {4, 2, 1}, {2, 1, 0}};
        assertThat(ConvolutionCheck.scan(ins, outs, sizes, kernels)).isEmpty();
    }

    @Test
    void theStartUpCheckPassesWhereTheScanDoes() {
        assertThat(ConvolutionCheck.problem()).isEmpty();
        assertThatCode(ConvolutionCheck::requireCorrect).doesNotThrowAnyException();
    }
}

package densitylab.cli;

import densitylab.nn.ConvolutionCheck;

import java.util.ArrayList;
import java.util.List;

/**
 * The launcher's probe of one oneDNN instruction set (set in {@code ONEDNN_MAX_CPU_ISA} before this JVM started):
 * exit 0 when libtorch's convolutions are right under it, 1 (and the first wrong case on standard error) when not.
 * Checks the known-bad cases and a scan of the shapes densitylab's models use: 1-16 to 1-48 channels, 8x8 and 14x14
 * images, 3x3 and 1x1 kernels and a stride-2 4x4 one, both memory orders.
 */
final class ConvolutionProbe {
    private ConvolutionProbe() {
    }

    public static void main(String[] args) {
        List<String> wrong = new ArrayList<>();
        ConvolutionCheck.problem().ifPresent(wrong::add);
        if (wrong.isEmpty()) {
            wrong.addAll(ConvolutionCheck.scan(new int[] {1, 2, 4, 16}, new int[] {1, 4, 16, 48}, new int[] {8, 14},
                    new int[][] {{3, 1, 1}, {1, 1, 0}, {4, 2, 1}}));
        }
        if (!wrong.isEmpty()) {
            System.err.println(wrong.size() + " wrong: " + wrong.get(0));
            System.exit(1);
        }
        System.exit(0);
    }
}

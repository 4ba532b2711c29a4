import densitylab.nn.ConvolutionCheck;

import java.util.List;
import java.util.Locale;

/**
 * Runs densitylab.nn.ConvolutionCheck's scan over the small channel counts and image sizes densitylab's models use
 * and prints every wrong result (output, input gradient, weight gradient against a float64 reference) with a
 * count per layout: run it once per {@code ONEDNN_MAX_CPU_ISA} value to see which oneDNN kernels are wrong on a
 * machine (docs/model-code.md has the table for the project's machine kind). From the repository root after a
 * build:
 *
 *   for isa in ALL AVX512_CORE AVX2 AVX; do ONEDNN_MAX_CPU_ISA=$isa java -Dai.djl.offline=true \
 *       -Dai.djl.pytorch.num_threads=2 -Dai.djl.pytorch.num_interop_threads=1 \
 *       -cp "densitylab-cli/target/densitylab.jar:densitylab-cli/target/lib/*" bench/micro/ConvGradientScan.java | tail -3; done
 */
public class ConvGradientScan {
    public static void main(String[] args) {
        int[] ins = {1, 2, 3, 4, 8, 16, 48};
        int[] outs = {1, 2, 4, 8, 16, 48};
        int[] sizes = {8, 14, 28};
        int[][] kernels = {{3, 1, 1}, {1, 1, 0}, {4, 2, 1}, {2, 1, 0}}; // kernel, stride, padding
        long start = System.nanoTime();
        List<String> wrong = ConvolutionCheck.scan(ins, outs, sizes, kernels);
        wrong.forEach(System.out::println);
        int cases = ins.length * outs.length * sizes.length * kernels.length;
        System.out.printf(Locale.ROOT, "ONEDNN_MAX_CPU_ISA=%s: %d convolutions x 2 layouts x 3 calls in %.0f s%n",
                System.getenv().getOrDefault("ONEDNN_MAX_CPU_ISA", "(unset: all)"), cases, (System.nanoTime() - start) / 1e9);
        for (String layout : new String[] {"standard-order", "channels-last"}) {
            System.out.printf(Locale.ROOT, "  %-14s wrong: output %d, input gradient %d, weight gradient %d, "
                            + "input gradient with the weights fixed %d%n", layout,
                    count(wrong, "output of a " + layout), count(wrong, "input gradient of a " + layout),
                    count(wrong, "weight gradient of a " + layout), count(wrong, "input gradient (weights fixed) of a " + layout));
        }
    }

    private static long count(List<String> wrong, String prefix) {
        return wrong.stream().filter(w -> w.startsWith(prefix)).count();
    }
}

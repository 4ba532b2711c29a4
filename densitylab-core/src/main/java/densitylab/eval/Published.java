package densitylab.eval;

import java.util.List;
import java.util.Optional;

/**
 * Published AUROCs the reproduce report puts beside densitylab's (docs/science.md; second-hand values say so).
 * Run-to-run variance is large (Bergamin et al. 2022), so compare against ranges, not exact values.
 *
 * @param score  densitylab's score name
 * @param in     in-distribution set (catalog name)
 * @param out    OOD set (catalog name)
 * @param value  the published AUROC or range, as text
 * @param source who reported it, with which model
 */
public record Published(String score, String in, String out, String value, String source) {
    /** Every anchor densitylab knows. */
    public static final List<Published> ALL = List.of(
            new Published("likelihood", "fashion-mnist", "mnist", "0.08-0.26", "PixelCNN++, Glow, HVAE (Bergamin 2022, Havtorn 2021)"),
            new Published("likelihood-ratio", "fashion-mnist", "mnist", "0.994", "PixelCNN (Ren 2019, via Havtorn 2021)"),
            new Published("likelihood-ratio", "cifar10", "svhn", "0.930", "PixelCNN (Ren 2019, via Havtorn 2021)"),
            new Published("input-complexity", "fashion-mnist", "mnist", "0.998 / 0.967", "Glow / PixelCNN++ (Serra 2020, second-hand via Havtorn 2021)"),
            new Published("input-complexity", "cifar10", "svhn", "0.950 / 0.929", "Glow / PixelCNN++ (Serra 2020, second-hand via Havtorn 2021)"),
            new Published("waic", "fashion-mnist", "mnist", "0.766", "5 VAEs (Choi 2018, via Havtorn 2021)"),
            new Published("typicality", "fashion-mnist", "mnist", "0.48-0.70", "single-input, Glow (Bergamin 2022)"),
            new Published("likelihood-regret", "fashion-mnist", "mnist", "0.988", "VAE (Xiao 2020, via Havtorn 2021)"),
            new Published("likelihood-regret", "cifar10", "svhn", "0.875", "VAE (Xiao 2020, via Havtorn 2021)"));

    /** The anchor for a score on (in, out), where there is one; input-complexity variants share PNG's. */
    public static Optional<Published> find(String score, String in, String out) {
        String s = score.startsWith("input-complexity") ? "input-complexity" : score;
        return ALL.stream().filter(p -> p.score.equals(s) && p.in.equals(in) && p.out.equals(out)).findFirst();
    }
}

package densitylab.score;

import densitylab.data.ImageSet;
import densitylab.model.DensityModel;

import java.util.List;

/**
 * {@code waic} (Choi et al. 2018): over an ensemble of K independently trained models,
 * -(mean_k log p_k(x) - var_k log p_k(x)), in bits/dim (divided by D ln 2, like the likelihood). The variance is the
 * population variance over the K members (divisor K): K identical members give exactly the likelihood score, and
 * members that disagree on x raise it. Higher = more anomalous.
 */
public final class WaicScore implements OodScore {
    private final List<DensityModel> members;

    public WaicScore(List<DensityModel> members) {
        if (members.size() < 2) {
            throw new IllegalArgumentException("waic needs at least 2 ensemble members, got " + members.size());
        }
        this.members = List.copyOf(members);
    }

    @Override
    public String name() {
        return "waic";
    }

    @Override
    public double[] score(ImageSet images) {
        int n = images.size();
        int k = members.size();
        double[][] lp = new double[k][];
        for (int j = 0; j < k; j++) {
            lp[j] = members.get(j).logProb(images);
        }
        double toBpd = 1.0 / (images.dims() * Math.log(2));
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double mean = 0;
            for (double[] l : lp) {
                mean += l[i];
            }
            mean /= k;
            double var = 0;
            for (double[] l : lp) {
                var += (l[i] - mean) * (l[i] - mean);
            }
            var /= k;
            out[i] = -(mean - var) * toBpd;
        }
        return out;
    }
}

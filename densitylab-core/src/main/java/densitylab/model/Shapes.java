package densitylab.model;

import densitylab.data.ImageSet;

import java.util.Arrays;

/** Shape checks shared by all models. */
public final class Shapes {
    private Shapes() {
    }

    /** Throws when the images do not have the model's shape, naming both. */
    public static void check(GenerativeModel m, ImageSet images) {
        if (!Arrays.equals(m.shape(), images.shape())) {
            int[] s = m.shape();
            throw new densitylab.io.SettingException("model '" + m.kind() + "' was trained on " + s[0] + "x" + s[1] + "x" + s[2]
                    + " images but '" + images.name() + "' has " + images.shapeString()
                    + " (resize the set, or transform it: +gray/+rgb/+resize=HxW)", "resize");
        }
    }
}

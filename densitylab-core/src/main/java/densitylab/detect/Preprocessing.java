package densitylab.detect;

import densitylab.data.DataFormatException;
import densitylab.data.ImageSet;
import densitylab.data.Images;
import densitylab.data.SetTransforms;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.Locale;

/**
 * What makes a user's image match a detector's model: its shape [C, H, W] and what to do with images of another size.
 * Channels: a gray image for an RGB model is repeated into three equal channels (lossless); an RGB image for a gray
 * model is accepted as it is when its three channels are equal, and otherwise converted to luminance under
 * {@link Resize#RESIZE} and refused under {@link Resize#REJECT}.
 *
 * @param channels the model's channels (1 or 3)
 * @param height   the model's height
 * @param width    the model's width
 * @param resize   the policy for images of another size or colour
 */
public record Preprocessing(int channels, int height, int width, Resize resize) {
    /** What to do with an image of another size (or colours that cannot be converted losslessly). */
    public enum Resize {
        /** Refuse it with an error naming both shapes. */
        REJECT,
        /** Resize it bilinearly (and convert colour to luminance). */
        RESIZE;

        /** The policy named "reject" or "resize" (any case). */
        public static Resize parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("resize policy must be 'reject' or 'resize', got '" + s + "'");
            }
        }
    }

    /** Checks the shape. */
    public Preprocessing {
        if ((channels != 1 && channels != 3) || height <= 0 || width <= 0 || resize == null) {
            throw new IllegalArgumentException("preprocessing needs 1 or 3 channels, a positive size and a policy");
        }
    }

    /** The preprocessing of a model of shape [C, H, W]. */
    public static Preprocessing of(int[] shape, Resize resize) {
        return new Preprocessing(shape[0], shape[1], shape[2], resize);
    }

    /** The model's shape [C, H, W]. */
    public int[] shape() {
        return new int[] {channels, height, width};
    }

    /**
     * A decoded image (or a set of images) made to match the model.
     *
     * @throws DataFormatException when the policy refuses it, naming source
     */
    public ImageSet apply(ImageSet images, String source) throws DataFormatException {
        ImageSet s = images;
        if (s.channels() == 3 && channels == 1) {
            if (!equalChannels(s) && resize == Resize.REJECT) {
                throw new DataFormatException(source + ": a colour image, and the model takes gray images (policy 'reject'; "
                        + "'resize' converts it to luminance)");
            }
            s = SetTransforms.conform(s, new int[] {1, s.height(), s.width()});
        } else if (s.channels() == 1 && channels == 3) {
            s = SetTransforms.conform(s, new int[] {3, s.height(), s.width()});
        }
        if (s.height() != height || s.width() != width) {
            if (resize == Resize.REJECT) {
                throw new DataFormatException(source + ": " + s.height() + "x" + s.width() + " pixels, and the model takes "
                        + height + "x" + width + " (policy 'reject'; 'resize' resizes it)");
            }
            s = SetTransforms.conform(s, shape());
        }
        return s;
    }

    /** {@link #apply(ImageSet, String)} of a picture. */
    public ImageSet apply(BufferedImage image, String source) throws DataFormatException {
        return apply(Images.fromImage(image, source), source);
    }

    /** {@link #apply(ImageSet, String)} of encoded bytes (PNG, JPEG, BMP, GIF). */
    public ImageSet decode(byte[] encoded, String source) throws DataFormatException {
        return apply(Images.decode(encoded, source), source);
    }

    private static boolean equalChannels(ImageSet s) {
        int plane = s.height() * s.width();
        byte[] px = new byte[s.dims()];
        for (int i = 0; i < s.size(); i++) {
            s.copyImage(i, px, 0);
            if (!Arrays.equals(px, 0, plane, px, plane, 2 * plane) || !Arrays.equals(px, 0, plane, px, 2 * plane, 3 * plane)) {
                return false;
            }
        }
        return true;
    }
}

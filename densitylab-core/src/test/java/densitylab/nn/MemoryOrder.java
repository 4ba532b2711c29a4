package densitylab.nn;

import ai.djl.ndarray.NDArray;

/**
 * Test helper: reads how libtorch stores an array through DJL's public API. A flattening reshape is a view of an
 * array stored in its own axis order and a copy otherwise; a clone keeps the strides, so whether adding to the
 * flattened clone changes the clone tells the order without touching the array.
 */
public final class MemoryOrder {
    private MemoryOrder() {
    }

    /** Whether the array's memory is laid out in its own axis order, row-major, without gaps. */
    public static boolean isContiguous(NDArray a) {
        return LibTorch.withoutGradients(() -> {
            try (NDArray clone = a.duplicate(); NDArray flat = clone.reshape(-1)) {
                flat.addi(1);
                try (NDArray change = clone.sub(a); NDArray least = change.min()) {
                    return least.getFloat() > 0.5f;
                }
            }
        });
    }

    /** Whether a (B, C, H, W) array is stored in (B, H, W, C) order: channels-last. */
    public static boolean isChannelsLast(NDArray a) {
        try (NDArray nhwc = a.transpose(0, 2, 3, 1)) {
            return isContiguous(nhwc);
        }
    }
}

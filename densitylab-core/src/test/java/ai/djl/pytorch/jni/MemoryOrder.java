package ai.djl.pytorch.jni;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;

/** Test helper: reads libtorch's contiguity flag, which DJL's public API does not expose. */
public final class MemoryOrder {
    private MemoryOrder() {
    }

    /** Whether the array's memory is laid out in its own axis order, row-major, without gaps. */
    public static boolean isContiguous(NDArray a) {
        return PyTorchLibrary.LIB.torchIsContiguous(((PtNDArray) a).getHandle());
    }

    /** Whether a (B, C, H, W) array is stored in (B, H, W, C) order: channels-last. */
    public static boolean isChannelsLast(NDArray a) {
        return isContiguous(a.transpose(0, 2, 3, 1));
    }
}

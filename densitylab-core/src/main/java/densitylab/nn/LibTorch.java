package densitylab.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The per-thread libtorch state the data-parallel Trainer (densitylab.train) sets on its worker threads. Grad mode
 * and the number of intra-op (OpenMP) threads belong to the calling thread in libtorch; DJL's
 * GradientCollector allows one collecting thread per process, so the workers enable grad mode and run
 * backward through DJL's JNI binding directly.
 */
public final class LibTorch {
    private static volatile boolean loggingInitialised;

    private LibTorch() {
    }

    /**
     * Loads libtorch and makes it honour its {@code TORCH_CPP_LOG_LEVEL} variable (ERROR hides its warnings, such as
     * NNPACK's on CPUs it does not support): DJL's binding never calls {@code c10::initLogging}, which reads it, so
     * libtorch printed warnings whatever the variable said. Without the variable nothing changes. Once per process;
     * a libtorch without that function keeps its default.
     */
    public static void honourLogLevel() {
        if (loggingInitialised) {
            return;
        }
        synchronized (LibTorch.class) {
            if (loggingInitialised) {
                return;
            }
            loggingInitialised = true;
            try {
                ai.djl.engine.Engine.getEngine("PyTorch"); // loads libc10, which the lookup by name then finds
                com.sun.jna.NativeLibrary.getInstance("c10").getFunction("_ZN3c1011initLoggingEv").invokeVoid(new Object[0]);
            } catch (RuntimeException | LinkageError e) {
                // another libtorch build without the symbol: its warnings stay, nothing else changes
            }
        }
    }

    private static volatile boolean loaded;

    /** Whether libtorch's native library is loaded (by any use of the engine), without loading it. */
    private static boolean loaded() {
        if (!loaded) {
            try {
                JniUtils.isGradMode();
                loaded = true;
            } catch (UnsatisfiedLinkError e) {
                return false;
            }
        }
        return true;
    }

    /** The calling thread's intra-op thread count. */
    public static int intraOpThreads() {
        return JniUtils.getNumThreads();
    }

    /**
     * Sets the calling thread's intra-op thread count (also the count that threads which have not run a
     * parallel op yet start with).
     */
    public static void setIntraOpThreads(int n) {
        JniUtils.setNumThreads(n);
    }

    /** Records the calling thread's ops for autograd from now on. */
    public static void enableGradientsOnThisThread() {
        JniUtils.setGradMode(true);
    }

    /**
     * Runs task on the calling thread with autograd off (what torch.no_grad() does): for values a loss needs but
     * never differentiates, such as a GAN's samples in its discriminator's loss. Restores the thread's grad mode.
     * Before libtorch is loaded (a pure-Java model) there is no grad mode to switch, and task just runs.
     */
    public static <T> T withoutGradients(java.util.function.Supplier<T> task) {
        if (!loaded()) {
            return task.get();
        }
        boolean was = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return task.get();
        } finally {
            JniUtils.setGradMode(was);
        }
    }

    /**
     * libtorch's upsample_nearest2d of x (B, C, h, w) to (B, C, height, width), keeping x's memory order; its backward
     * is one kernel, where a broadcast's is a slow strided sum.
     */
    public static NDArray upsampleNearest(NDArray x, long height, long width) {
        return JniUtils.interpolate((PtNDArray) x, new long[] {height, width}, 0, false);
    }

    /**
     * libtorch's group_norm of x (B, C, ...) in groups groups (eps 1e-5), scaled and shifted by gamma and beta (C values
     * each, any shape), then SiLU when silu: one fused op each, as torch.nn.GroupNorm and F.silu run, in x's memory
     * order (standard or channels-last). Differentiable in x, gamma and beta.
     */
    public static NDArray groupNorm(NDArray x, int groups, NDArray gamma, NDArray beta, boolean silu) {
        long perGroup = x.getShape().get(1) / groups;
        if (perGroup * groups != x.getShape().get(1)) {
            throw new IllegalArgumentException(groups + " groups do not divide " + x.getShape().get(1) + " channels");
        }
        return (silu ? TorchScriptOps.GROUP_NORM_SILU : TorchScriptOps.GROUP_NORM)
                .apply(x, gamma.reshape(groups, perGroup), beta.reshape(groups, perGroup));
    }

    /** d(scalar)/d(leaf) accumulated into every leaf's gradient, as GradientCollector.backward does. */
    public static void backward(NDArray scalar) {
        try (NDArray ones = scalar.onesLike()) {
            JniUtils.backward((PtNDArray) scalar, (PtNDArray) ones, false, false);
        }
    }

    /**
     * libtorch's batch_norm over axis 1 of x (B, C, ...), with PyTorch's meaning of its arguments: in training it
     * normalises with the batch's statistics and updates runningMean and runningVar in place (new = (1 - momentum)
     * old + momentum batch, the variance unbiased); otherwise it normalises with them. DJL's NDArray.batchNorm
     * translates momentum and axes for MXNet's conventions; this calls the kernel directly.
     */
    public static NDArray batchNorm(NDArray x, NDArray runningMean, NDArray runningVar, NDArray gamma, NDArray beta,
                                    boolean training, double momentum, double eps) {
        return JniUtils.batchNorm((PtNDArray) x, (PtNDArray) runningMean, (PtNDArray) runningVar, (PtNDArray) gamma,
                (PtNDArray) beta, training, momentum, eps);
    }
}

package densitylab.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ScopesTest {
    @Test
    void scopeFreesIntermediatesAndHandsTheArraysBack() {
        try (NDManager owner = NDManager.newBaseManager("PyTorch")) {
            NDArray w = owner.create(new float[] {1, 2, 3});
            NDArray product;
            try (NDManager sub = Scopes.open(owner, List.of(w, w))) { // listed twice on purpose
                product = w.mul(2);
                assertThat(product.getManager()).isSameAs(sub);
            }
            assertThat(product.isReleased()).isTrue();
            assertThat(w.isReleased()).isFalse();
            assertThat(w.getManager()).isSameAs(owner);
            assertThat(w.toFloatArray()).containsExactly(1, 2, 3);
        }
    }
}

package densitylab.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/** Reading untrusted streams without trusting their length: at most a limit, stopping as soon as more arrives. */
public final class BoundedReads {
    /** A stream that held more than the limit. */
    public static final class TooLargeException extends IOException {
        private final long limit;

        TooLargeException(String what, long limit) {
            super(what + " is larger than " + limit + " bytes");
            this.limit = limit;
        }

        /** The limit it passed. */
        public long limit() {
            return limit;
        }
    }

    private BoundedReads() {
    }

    /**
     * Every byte of in, at most limit of them.
     *
     * @param what the stream, for the message
     * @throws TooLargeException as soon as more than limit bytes have arrived
     */
    public static byte[] readAtMost(InputStream in, long limit, String what) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        long total = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            total += n;
            if (total > limit) {
                throw new TooLargeException(what, limit);
            }
            b.write(buf, 0, n);
        }
        return b.toByteArray();
    }
}

package org.vfio4j.common.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;

import org.junit.jupiter.api.Test;

/** errno capture through FFM and its translation into words. */
class ErrnoTest {
    @Test
    void namesAndWords() {
        assertEquals("EBUSY", Errno.name(16));
        assertEquals("Device or resource busy", Errno.text(16));
        assertEquals("ENOMEM (Cannot allocate memory)", Errno.describe(Errno.ENOMEM));
        assertEquals("errno 4000", Errno.name(4000));
    }

    @Test
    void capturedErrnoOfARealFailure() {
        assertEquals(-Errno.ENOENT, Native.open("/nonexistent/vfio4j", Native.O_RDONLY));
        assertEquals(-Errno.EBADF, Native.close(-1));
        int fd = Native.open("/dev/null", Native.O_RDWR | Native.O_CLOEXEC);
        assertTrue(fd >= 0);
        try (Arena a = Arena.ofConfined()) {
            // /dev/null has no ioctls: ENOTTY, captured right after the call
            assertEquals(-Errno.ENOTTY, Native.ioctl(fd, VfioAbi.VFIO_GET_API_VERSION, a.allocate(8)));
            int efd = Native.eventfd(0, Native.EFD_CLOEXEC);
            assertEquals(-Errno.ESPIPE, Native.pread(efd, a.allocate(8), 8, 0), "eventfds have no position");
            assertEquals(0, Native.close(efd));
        }
        assertEquals(0, Native.close(fd));
    }

    @Test
    void mmapFailureIsAnErrno() {
        long r = Native.mmap(4096, Native.PROT_READ, Native.MAP_SHARED, -1, 0);
        assertTrue(Native.failed(r));
        assertEquals(-Errno.EBADF, r);
    }
}

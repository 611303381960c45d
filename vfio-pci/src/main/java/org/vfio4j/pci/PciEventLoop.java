package org.vfio4j.pci;

import java.time.Duration;

import org.vfio4j.common.EventFd;

/**
 * Machine seam: the machine's event loop, for the few things the model must handle in user space
 * (masked MSI/MSI-X vectors to mark pending, INTx without resampling, the mmap re-enable timer).
 *
 * <p>Why: the model owns no threads. Callbacks run on the machine's loop thread; the model
 * synchronises them with guest config/BAR accesses itself.
 */
public interface PciEventLoop {

    /** Calls {@code handler} whenever {@code eventFd} is signalled (after reading it to zero), until closed. */
    Registration watch(EventFd eventFd, Runnable handler);

    /** Calls {@code task} once after {@code delay}, unless closed first. */
    Registration schedule(Duration delay, Runnable task);

    /** A watch or timer; closing cancels it. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}

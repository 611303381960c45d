package org.vfio4j.pci;

/** An in-memory eventfd: a counter. */
final class FakeTrigger implements Trigger {
    private long count;
    private boolean closed;
    final int serial;
    private static int next;

    FakeTrigger() {
        serial = next++;
    }

    @Override
    public synchronized void signal() {
        if (closed) {
            throw new IllegalStateException("signal on closed trigger " + serial);
        }
        count++;
    }

    @Override
    public synchronized boolean consume() {
        boolean was = count > 0;
        count = 0;
        return was;
    }

    synchronized boolean signalled() {
        return count > 0;
    }

    synchronized boolean closed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        closed = true;
    }
}

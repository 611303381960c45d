package org.vfio4j.common;

import java.util.ArrayList;
import java.util.List;

import org.eclipse.jdt.annotation.Nullable;

/**
 * The container's live DMA mappings ordered by IOVA (unsigned): a treap threaded through the
 * {@link DmaMapping} objects themselves.
 *
 * <p>Why not a {@code TreeMap<Long, DmaMapping>}: that costs a boxed key and an entry object per mapping, both
 * live as long as the mapping; with hundreds of thousands of small mappings the garbage collector spends its
 * time copying them. Here insertion, removal and the floor/higher queries of the overlap check and the IOVA
 * allocator are O(log n) expected and allocate nothing. Not thread-safe: {@link DmaMapper} guards it.
 */
final class IovaTree implements IovaAllocator.Extents {
    private @Nullable DmaMapping root;
    private int size;

    int size() {
        return size;
    }

    void insert(DmaMapping m) {
        m.left = null;
        m.right = null;
        root = insert(root, m);
        size++;
    }

    private static DmaMapping insert(@Nullable DmaMapping t, DmaMapping m) {
        if (t == null) {
            return m;
        }
        if (Long.compareUnsigned(m.iova(), t.iova()) < 0) {
            DmaMapping l = insert(t.left, m);
            t.left = l;
            if (l.priority() > t.priority()) { // rotate right
                t.left = l.right;
                l.right = t;
                return l;
            }
        } else {
            DmaMapping r = insert(t.right, m);
            t.right = r;
            if (r.priority() > t.priority()) { // rotate left
                t.right = r.left;
                r.left = t;
                return r;
            }
        }
        return t;
    }

    /** Removes {@code m}, which must be in the tree. */
    void remove(DmaMapping m) {
        root = remove(root, m);
        m.left = null;
        m.right = null;
        size--;
    }

    private static @Nullable DmaMapping remove(@Nullable DmaMapping t, DmaMapping m) {
        if (t == null) {
            throw new IllegalStateException("DMA mapping bookkeeping lost " + m);
        }
        if (t == m) {
            return merge(t.left, t.right);
        }
        if (Long.compareUnsigned(m.iova(), t.iova()) < 0) {
            t.left = remove(t.left, m);
        } else {
            t.right = remove(t.right, m);
        }
        return t;
    }

    /** Joins two treaps where every key of {@code a} is below every key of {@code b}. */
    private static @Nullable DmaMapping merge(@Nullable DmaMapping a, @Nullable DmaMapping b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        if (a.priority() > b.priority()) {
            a.right = merge(a.right, b);
            return a;
        }
        b.left = merge(a, b.left);
        return b;
    }

    /** The mapping with the greatest IOVA at or below {@code iova}. */
    @Override
    public @Nullable DmaMapping floor(long iova) {
        DmaMapping t = root;
        DmaMapping best = null;
        while (t != null) {
            if (Long.compareUnsigned(t.iova(), iova) <= 0) {
                best = t;
                t = t.right;
            } else {
                t = t.left;
            }
        }
        return best;
    }

    /** The mapping with the least IOVA strictly above {@code iova}. */
    @Override
    public @Nullable DmaMapping higher(long iova) {
        DmaMapping t = root;
        DmaMapping best = null;
        while (t != null) {
            if (Long.compareUnsigned(t.iova(), iova) > 0) {
                best = t;
                t = t.left;
            } else {
                t = t.right;
            }
        }
        return best;
    }

    /** Every mapping in IOVA order (a copy). */
    List<DmaMapping> toList() {
        List<DmaMapping> out = new ArrayList<>(size);
        ArrayList<DmaMapping> stack = new ArrayList<>();
        DmaMapping t = root;
        while (t != null || !stack.isEmpty()) {
            while (t != null) {
                stack.add(t);
                t = t.left;
            }
            DmaMapping top = stack.removeLast();
            out.add(top);
            t = top.right;
        }
        return out;
    }
}

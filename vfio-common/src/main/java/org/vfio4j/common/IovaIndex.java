package org.vfio4j.common;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.eclipse.jdt.annotation.Nullable;

/**
 * The container's live DMA mappings ordered by IOVA (unsigned): a sorted sequence of small blocks, each a
 * sorted run of IOVAs in a {@code long[]} beside its mappings, found through a sorted array of the blocks'
 * first IOVAs.
 *
 * <p>Why not a balanced tree: a tree walks ~2 ln n nodes (a cache miss each) per insert and per remove, and
 * with 262,144 mappings that walk cost more than the rest of a map call put together (profiled with JFR in
 * the x86 lab). Here the usual patterns are O(1): mapping upwards appends to the last block, unmapping in
 * either direction takes from a block's end (a block's run sits anywhere inside its arrays, so both ends
 * are free). Anything else is two binary searches and a shift inside one block of at most {@value #BLOCK}
 * entries, plus, once per ~{@value #BLOCK}/2 changes, a split or merge that shifts the block directory:
 * O(log n + {@value #BLOCK} + n/{@value #BLOCK}) in the worst case. Nothing is allocated per mapping (a
 * block is allocated per {@value #BLOCK}/2 mappings at most). Not thread-safe: {@link DmaMapper} guards it.
 */
final class IovaIndex implements IovaAllocator.Extents {
    static final int BLOCK = 128;

    /** A sorted run of IOVAs ({@code keys[lo..hi)}, biased so signed order is unsigned IOVA order). */
    private static final class Block {
        final long[] keys = new long[BLOCK];
        final @Nullable DmaMapping[] maps = new DmaMapping[BLOCK];
        int lo = BLOCK / 2;
        int hi = BLOCK / 2;

        int count() {
            return hi - lo;
        }

        long first() {
            return keys[lo];
        }

        long last() {
            return keys[hi - 1];
        }

        DmaMapping at(int i) {
            DmaMapping m = maps[i];
            if (m == null) {
                throw new IllegalStateException("DMA mapping index lost an entry");
            }
            return m;
        }

        /** The first index in {@code [lo, hi)} whose key is above {@code k}, or hi. */
        int upper(long k) {
            int a = lo, b = hi;
            while (a < b) {
                int mid = (a + b) >>> 1;
                if (keys[mid] <= k) {
                    a = mid + 1;
                } else {
                    b = mid;
                }
            }
            return a;
        }

        /** Puts {@code m} with key {@code k} before index {@code p}; the block is not full. */
        void insertAt(int p, long k, DmaMapping m) {
            if (p == hi && hi < BLOCK) {
                hi++;
            } else if (p == lo && lo > 0) {
                p = --lo;
            } else if (hi < BLOCK && (hi - p <= p - lo || lo == 0)) {
                System.arraycopy(keys, p, keys, p + 1, hi - p);
                System.arraycopy(maps, p, maps, p + 1, hi - p);
                hi++;
            } else {
                System.arraycopy(keys, lo, keys, lo - 1, p - lo);
                System.arraycopy(maps, lo, maps, lo - 1, p - lo);
                lo--;
                p--;
            }
            keys[p] = k;
            maps[p] = m;
        }

        void removeAt(int i) {
            if (i == lo) {
                maps[lo++] = null;
            } else if (i == hi - 1) {
                maps[--hi] = null;
            } else if (hi - 1 - i <= i - lo) {
                System.arraycopy(keys, i + 1, keys, i, hi - 1 - i);
                System.arraycopy(maps, i + 1, maps, i, hi - 1 - i);
                maps[--hi] = null;
            } else {
                System.arraycopy(keys, lo, keys, lo + 1, i - lo);
                System.arraycopy(maps, lo, maps, lo + 1, i - lo);
                maps[lo++] = null;
            }
            if (lo == hi) {
                lo = hi = BLOCK / 2;
            }
        }
    }

    private Block[] blocks = new Block[8];
    /** {@code firsts[b] == blocks[b].first()} for every block (the directory searched first). */
    private long[] firsts = new long[8];
    private int nblocks;
    private int size;

    private static long key(long iova) {
        return iova ^ Long.MIN_VALUE;
    }

    int size() {
        return size;
    }

    /** The block whose run may hold {@code k}: the last whose first key is at or below it, or block 0. */
    private int blockFor(long k) {
        int last = nblocks - 1;
        if (firsts[last] <= k) {
            return last; // mapping upwards: the last block, without a search
        }
        if (last == 0 || firsts[1] > k) {
            return 0; // unmapping upwards: the first block, without a search
        }
        int a = 1, b = last;
        while (a < b) {
            int mid = (a + b) >>> 1;
            if (firsts[mid] <= k) {
                a = mid + 1;
            } else {
                b = mid;
            }
        }
        return a - 1;
    }

    /** Adds {@code m}; its IOVA must not be in the index already. */
    void insert(DmaMapping m) {
        long k = key(m.iova());
        if (nblocks == 0) {
            addBlock(0);
        }
        int b = blockFor(k);
        Block blk = blocks[b];
        if (blk.count() == BLOCK) {
            if (b == nblocks - 1 && k > blk.last()) {
                blk = addBlock(++b); // mapping upwards: start a new last block rather than split a full one
                blk.lo = blk.hi = 0;
            } else if (b == 0 && k < blk.first()) {
                blk = addBlock(0); // mapping downwards: a new first block, filled from its end
                blk.lo = blk.hi = BLOCK;
            } else {
                split(b);
                if (k >= firsts[b + 1]) {
                    blk = blocks[++b];
                }
            }
        }
        blk.insertAt(blk.upper(k), k, m);
        firsts[b] = blk.first();
        size++;
    }

    /** Removes {@code m}, which must be in the index. */
    void remove(DmaMapping m) {
        long k = key(m.iova());
        int b = nblocks == 0 ? -1 : blockFor(k);
        Block blk = b < 0 ? null : blocks[b];
        int i = blk == null ? -1 : blk.maps[blk.lo] == m ? blk.lo : blk.upper(k) - 1;
        if (blk == null || i < blk.lo || blk.maps[i] != m) {
            throw new IllegalStateException("DMA mapping bookkeeping lost " + m);
        }
        blk.removeAt(i);
        size--;
        if (blk.count() == 0) {
            removeBlock(b);
            return;
        }
        firsts[b] = blk.first();
        if (blk.count() < BLOCK / 4) {
            if (b + 1 < nblocks && blk.count() + blocks[b + 1].count() <= BLOCK * 3 / 4) {
                merge(b);
            } else if (b > 0 && blk.count() + blocks[b - 1].count() <= BLOCK * 3 / 4) {
                merge(b - 1);
            }
        }
    }

    private Block addBlock(int at) {
        if (nblocks == blocks.length) {
            blocks = Arrays.copyOf(blocks, nblocks * 2);
            firsts = Arrays.copyOf(firsts, nblocks * 2);
        }
        System.arraycopy(blocks, at, blocks, at + 1, nblocks - at);
        System.arraycopy(firsts, at, firsts, at + 1, nblocks - at);
        Block blk = new Block();
        blocks[at] = blk;
        nblocks++;
        return blk;
    }

    private void removeBlock(int at) {
        System.arraycopy(blocks, at + 1, blocks, at, nblocks - at - 1);
        System.arraycopy(firsts, at + 1, firsts, at, nblocks - at - 1);
        blocks[--nblocks] = null;
    }

    /** Moves the upper half of full block {@code b} into a new block after it. */
    private void split(int b) {
        Block full = blocks[b];
        Block upper = addBlock(b + 1);
        int half = full.count() / 2;
        int from = full.hi - half;
        upper.lo = 0;
        upper.hi = half;
        System.arraycopy(full.keys, from, upper.keys, 0, half);
        System.arraycopy(full.maps, from, upper.maps, 0, half);
        Arrays.fill(full.maps, from, full.hi, null);
        full.hi = from;
        firsts[b + 1] = upper.first();
    }

    /** Appends block {@code b + 1}'s run to block {@code b}'s (together they fit) and drops block b + 1. */
    private void merge(int b) {
        Block into = blocks[b];
        Block from = blocks[b + 1];
        int n = into.count(), m = from.count();
        System.arraycopy(into.keys, into.lo, into.keys, 0, n);
        System.arraycopy(into.maps, into.lo, into.maps, 0, n);
        System.arraycopy(from.keys, from.lo, into.keys, n, m);
        System.arraycopy(from.maps, from.lo, into.maps, n, m);
        Arrays.fill(into.maps, n + m, BLOCK, null);
        into.lo = 0;
        into.hi = n + m;
        firsts[b] = into.first();
        removeBlock(b + 1);
    }

    /** The mapping with the greatest IOVA at or below {@code iova}. */
    @Override
    public @Nullable DmaMapping floor(long iova) {
        if (nblocks == 0) {
            return null;
        }
        long k = key(iova);
        Block blk = blocks[blockFor(k)];
        int i = blk.upper(k) - 1;
        return i < blk.lo ? null : blk.at(i); // only block 0 can start above k
    }

    /** The mapping with the least IOVA strictly above {@code iova}. */
    @Override
    public @Nullable DmaMapping higher(long iova) {
        if (nblocks == 0) {
            return null;
        }
        long k = key(iova);
        int b = blockFor(k);
        Block blk = blocks[b];
        int i = blk.upper(k);
        if (i < blk.hi) {
            return blk.at(i);
        }
        return b + 1 < nblocks ? blocks[b + 1].at(blocks[b + 1].lo) : null;
    }

    /** Every mapping in IOVA order (a copy). */
    List<DmaMapping> toList() {
        List<DmaMapping> out = new ArrayList<>(size);
        for (int b = 0; b < nblocks; b++) {
            Block blk = blocks[b];
            for (int i = blk.lo; i < blk.hi; i++) {
                out.add(blk.at(i));
            }
        }
        return out;
    }
}

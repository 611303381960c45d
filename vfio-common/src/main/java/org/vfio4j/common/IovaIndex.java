package org.vfio4j.common;

import java.util.Arrays;

import org.eclipse.jdt.annotation.Nullable;

/**
 * The container's live DMA mappings ordered by IOVA (unsigned), held as primitives: a sorted sequence of small
 * blocks, each a sorted run of entries in parallel arrays (IOVA, size, process address, generation and
 * permissions, the owning arena's tie), found through a sorted array of the blocks' first IOVAs.
 *
 * <p>Why primitives: a container may hold hundreds of thousands of small mappings (a vIOMMU shadowing a
 * guest's 4 KiB pages), and every object kept per mapping is one the collector copies and traces; here a
 * mapping is ~40 bytes in arrays shared by {@value #BLOCK} entries, and the caller's {@link DmaMapping} handle
 * is free to die young. Why not a balanced tree: a tree walks ~2 ln n nodes (a cache miss each) per insert and
 * per remove, which cost more than the rest of a map call put together in the lab profile. Here the usual
 * patterns are O(1): mapping upwards appends to the last block, unmapping in either direction takes from a
 * block's end (a run sits anywhere inside its arrays, so both ends are free). Anything else is two binary
 * searches and a shift inside one block, plus, once per ~{@value #BLOCK}/2 changes, a split or merge that
 * shifts the block directory: O(log n + {@value #BLOCK} + n/{@value #BLOCK}) in the worst case.
 *
 * <p>An entry is named by a position, {@code block << 32 | slot}, valid until the next insert or removal;
 * {@link #NONE} is no entry. Not thread-safe: {@link DmaMapper} guards it.
 */
final class IovaIndex implements IovaAllocator.Extents {
    static final int BLOCK = 128;
    /** No entry. */
    static final long NONE = -1;

    /** A sorted run of entries in {@code [lo, hi)}; keys biased so signed order is unsigned IOVA order. */
    private static final class Block {
        final long[] keys = new long[BLOCK];
        final long[] sizes = new long[BLOCK];
        final long[] addrs = new long[BLOCK];
        /** {@code generation << 8 | permission bits}. */
        final long[] metas = new long[BLOCK];
        final @Nullable ArenaTie[] ties = new ArenaTie[BLOCK];
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

        /** Makes room before index {@code p} (the block is not full) and returns the free index. */
        int open(int p) {
            if (p == hi && hi < BLOCK) {
                hi++;
            } else if (p == lo && lo > 0) {
                p = --lo;
            } else if (hi < BLOCK && (hi - p <= p - lo || lo == 0)) {
                move(this, p, this, p + 1, hi - p);
                hi++;
            } else {
                move(this, lo, this, lo - 1, p - lo);
                lo--;
                p--;
            }
            return p;
        }

        void removeAt(int i) {
            if (i == lo) {
                ties[lo++] = null;
            } else if (i == hi - 1) {
                ties[--hi] = null;
            } else if (hi - 1 - i <= i - lo) {
                move(this, i + 1, this, i, hi - 1 - i);
                ties[--hi] = null;
            } else {
                move(this, lo, this, lo + 1, i - lo);
                ties[lo++] = null;
            }
            if (lo == hi) {
                lo = hi = BLOCK / 2;
            }
        }
    }

    /** Copies {@code n} entries of every array (overlapping ranges allowed, as System.arraycopy). */
    private static void move(Block src, int from, Block dst, int to, int n) {
        System.arraycopy(src.keys, from, dst.keys, to, n);
        System.arraycopy(src.sizes, from, dst.sizes, to, n);
        System.arraycopy(src.addrs, from, dst.addrs, to, n);
        System.arraycopy(src.metas, from, dst.metas, to, n);
        System.arraycopy(src.ties, from, dst.ties, to, n);
    }

    private Block[] blocks = new Block[8];
    /** {@code firsts[b] == blocks[b].first()} for every block (the directory searched first). */
    private long[] firsts = new long[8];
    private int nblocks;
    private int size;

    private static long key(long iova) {
        return iova ^ Long.MIN_VALUE;
    }

    private static long pos(int block, int slot) {
        return (long) block << 32 | slot;
    }

    private Block block(long pos) {
        return blocks[(int) (pos >>> 32)];
    }

    private static int slot(long pos) {
        return (int) pos;
    }

    int size() {
        return size;
    }

    long iova(long pos) {
        return key(block(pos).keys[slot(pos)]);
    }

    long size(long pos) {
        return block(pos).sizes[slot(pos)];
    }

    long address(long pos) {
        return block(pos).addrs[slot(pos)];
    }

    long generation(long pos) {
        return block(pos).metas[slot(pos)] >>> 8;
    }

    byte permissionBits(long pos) {
        return (byte) block(pos).metas[slot(pos)];
    }

    ArenaTie tie(long pos) {
        ArenaTie t = block(pos).ties[slot(pos)];
        if (t == null) {
            throw new IllegalStateException("DMA mapping index lost an entry");
        }
        return t;
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

    /** Adds an entry; {@code iova} must not be in the index already. */
    void insert(long iova, long size, long address, long generation, byte permissionBits, ArenaTie tie) {
        long k = key(iova);
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
        int p = blk.open(blk.count() == 0 || k > blk.last() ? blk.hi : blk.upper(k)); // mapping upwards: no search
        blk.keys[p] = k;
        blk.sizes[p] = size;
        blk.addrs[p] = address;
        blk.metas[p] = generation << 8 | (permissionBits & 0xff);
        blk.ties[p] = tie;
        firsts[b] = blk.first();
        this.size++;
    }

    /** The entry starting exactly at {@code iova}, or {@link #NONE}. */
    long find(long iova) {
        long p = floorPos(iova);
        return p != NONE && iova(p) == iova ? p : NONE;
    }

    /** Removes the entry at {@code pos} (positions taken before are stale afterwards). */
    void removeAt(long pos) {
        int b = (int) (pos >>> 32);
        Block blk = blocks[b];
        blk.removeAt(slot(pos));
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
        move(full, from, upper, 0, half);
        Arrays.fill(full.ties, from, full.hi, null);
        full.hi = from;
        firsts[b + 1] = upper.first();
    }

    /** Appends block {@code b + 1}'s run to block {@code b}'s (together they fit) and drops block b + 1. */
    private void merge(int b) {
        Block into = blocks[b];
        Block from = blocks[b + 1];
        int n = into.count(), m = from.count();
        move(into, into.lo, into, 0, n);
        move(from, from.lo, into, n, m);
        Arrays.fill(into.ties, n + m, BLOCK, null);
        into.lo = 0;
        into.hi = n + m;
        firsts[b] = into.first();
        removeBlock(b + 1);
    }

    /** The entry with the greatest IOVA at or below {@code iova}, or {@link #NONE}. */
    long floorPos(long iova) {
        if (nblocks == 0) {
            return NONE;
        }
        long k = key(iova);
        int b = blockFor(k);
        Block blk = blocks[b];
        int i = blk.keys[blk.lo] == k ? blk.lo : blk.upper(k) - 1; // unmapping upwards: the run's first entry
        return i < blk.lo ? NONE : pos(b, i); // only block 0 can start above k
    }

    /** The entry with the least IOVA strictly above {@code iova}, or {@link #NONE}. */
    long higherPos(long iova) {
        long p = floorPos(iova);
        return p == NONE ? firstPos() : nextPos(p);
    }

    /** The entry with the least IOVA, or {@link #NONE}. */
    long firstPos() {
        return nblocks == 0 ? NONE : pos(0, blocks[0].lo);
    }

    /** The entry after {@code pos} in IOVA order, or {@link #NONE}. */
    long nextPos(long pos) {
        int b = (int) (pos >>> 32);
        int i = slot(pos) + 1;
        if (i < blocks[b].hi) {
            return pos(b, i);
        }
        return b + 1 < nblocks ? pos(b + 1, blocks[b + 1].lo) : NONE;
    }

    @Override
    public @Nullable IovaExtent floor(long iova) {
        return extent(floorPos(iova));
    }

    @Override
    public @Nullable IovaExtent higher(long iova) {
        return extent(higherPos(iova));
    }

    private @Nullable IovaExtent extent(long pos) {
        return pos == NONE ? null : new Span(iova(pos), size(pos));
    }

    /** An entry's extent, for the IOVA allocator (which runs once per buffer, not per mapping). */
    private record Span(long iova, long size) implements IovaExtent {
    }
}

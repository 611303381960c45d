package org.vfio4j.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.LongUnaryOperator;

import org.eclipse.jdt.annotation.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The IOVA index answers find/floor/higher and keeps order exactly as a TreeMap would: under random churn, and
 * under the ordered patterns its fast paths, block splits and merges serve (mapping up or down, unmapping
 * from either end or every other one); and every field of an entry moves with its IOVA.
 */
class IovaIndexTest {
    private final DmaMapper mapper = new DmaMapper(Kernel.HOST, -1);
    private final IovaIndex index = new IovaIndex();
    /** IOVA to generation, the reference. */
    private final TreeMap<Long, Long> ref = new TreeMap<>(Long::compareUnsigned);
    private final Random rnd = new Random(42);
    private long generation;
    private @Nullable ArenaTie tie;

    @Test
    void agreesWithATreeMapUnderRandomInsertsAndRemovals() {
        try (Arena a = Arena.ofConfined()) {
            tie = new ArenaTie(a, mapper, false);
            List<Long> live = new ArrayList<>();
            for (int step = 0; step < 40_000; step++) {
                if (live.isEmpty() || rnd.nextInt(3) != 0) {
                    long iova = (rnd.nextInt(1 << 16) * 0x1000L) ^ (rnd.nextBoolean() ? Long.MIN_VALUE : 0); // unsigned order
                    if (!ref.containsKey(iova)) {
                        insert(iova);
                        live.add(iova);
                    }
                } else {
                    remove(live.remove(rnd.nextInt(live.size())));
                }
                check(step % 100 == 0);
            }
        } finally {
            mapper.close();
        }
    }

    @Test
    void agreesWithATreeMapUnderOrderedPatterns() {
        try (Arena a = Arena.ofConfined()) {
            tie = new ArenaTie(a, mapper, false);
            int n = 20 * IovaIndex.BLOCK + 7;
            for (LongUnaryOperator order : List.<LongUnaryOperator>of(i -> i, i -> n - 1 - i, i -> i % 2 == 0 ? i / 2 : n - 1 - i / 2)) {
                for (int removal = 0; removal < 4; removal++) {
                    List<Long> maps = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        long iova = 0x1_0000_0000L + order.applyAsLong(i) * 0x1000L;
                        insert(iova);
                        maps.add(iova);
                        check(i % 50 == 0);
                    }
                    check(true);
                    maps.sort(Long::compareUnsigned);
                    switch (removal) {
                        case 1 -> Collections.reverse(maps);
                        case 2 -> { // every other one first, then the rest: blocks thin out and merge
                            List<Long> evens = new ArrayList<>(), odds = new ArrayList<>();
                            for (int i = 0; i < maps.size(); i++) {
                                (i % 2 == 0 ? evens : odds).add(maps.get(i));
                            }
                            maps = new ArrayList<>(evens);
                            maps.addAll(odds);
                        }
                        case 3 -> Collections.shuffle(maps, rnd);
                        default -> { }
                    }
                    for (int i = 0; i < maps.size(); i++) {
                        remove(maps.get(i));
                        check(i % 50 == 0);
                    }
                    check(true);
                }
            }
        } finally {
            mapper.close();
        }
    }

    @Test
    void anEntryKeepsEveryFieldThroughShiftsSplitsAndMerges() {
        try (Arena a = Arena.ofConfined()) {
            ArenaTie t1 = new ArenaTie(a, mapper, false);
            ArenaTie t2 = new ArenaTie(a, mapper, true);
            int n = 5 * IovaIndex.BLOCK;
            for (int i = 0; i < n; i++) {
                long iova = 0x1000L * ((i * 7919L) % n); // scattered: inserts land mid-block and split
                index.insert(iova, 0x1000L + i, 0x7000_0000L + i, 1000L + i, (byte) (i & 15), i % 2 == 0 ? t1 : t2);
            }
            for (int i = 0; i < n; i += 3) {
                index.removeAt(index.find(0x1000L * ((i * 7919L) % n)));
            }
            for (int i = 0; i < n; i++) {
                long p = index.find(0x1000L * ((i * 7919L) % n));
                if (i % 3 == 0) {
                    assertEquals(IovaIndex.NONE, p);
                    continue;
                }
                assertEquals(0x1000L + i, index.size(p));
                assertEquals(0x7000_0000L + i, index.address(p));
                assertEquals(1000L + i, index.generation(p));
                assertEquals((byte) (i & 15), index.permissionBits(p));
                assertSame(i % 2 == 0 ? t1 : t2, index.tie(p));
            }
        } finally {
            mapper.close();
        }
    }

    private void insert(long iova) {
        long gen = ++generation;
        index.insert(iova, 0x1000L, 0x5000_0000L, gen, (byte) 3, java.util.Objects.requireNonNull(tie));
        ref.put(iova, gen);
    }

    private void remove(long iova) {
        long p = index.find(iova);
        assertEquals(ref.get(iova), p == IovaIndex.NONE ? null : index.generation(p), () -> "find " + Long.toHexString(iova));
        index.removeAt(p);
        ref.remove(iova);
    }

    private void check(boolean all) {
        assertEquals(ref.size(), index.size());
        List<Long> queries = new ArrayList<>(List.of(rnd.nextLong(), 0L, -1L));
        if (!ref.isEmpty()) {
            for (long k : List.of(ref.firstKey(), ref.lastKey())) {
                queries.addAll(List.of(k, k - 1, k + 1));
            }
        }
        for (long q : queries) {
            assertEquals(ref.floorKey(q), iovaAt(index.floorPos(q)), () -> "floor " + Long.toHexString(q));
            assertEquals(ref.higherKey(q), iovaAt(index.higherPos(q)), () -> "higher " + Long.toHexString(q));
            assertEquals(ref.containsKey(q) ? q : null, iovaAt(index.find(q)), () -> "find " + Long.toHexString(q));
        }
        if (all) {
            List<Long> inOrder = new ArrayList<>();
            for (long p = index.firstPos(); p != IovaIndex.NONE; p = index.nextPos(p)) {
                inOrder.add(index.iova(p));
            }
            assertEquals(new ArrayList<>(ref.keySet()), inOrder);
            for (Map.Entry<Long, Long> e : ref.entrySet()) {
                assertEquals(e.getValue(), index.generation(index.find(e.getKey())));
                assertEquals(ref.higherKey(e.getKey()), iovaAt(index.higherPos(e.getKey())));
            }
        }
    }

    private @Nullable Long iovaAt(long pos) {
        return pos == IovaIndex.NONE ? null : index.iova(pos);
    }
}

package org.vfio4j.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
 * The IOVA index answers floor/higher and keeps order exactly as a TreeMap would: under random churn, and
 * under the ordered patterns its fast paths, block splits and merges serve (mapping up or down, unmapping
 * from either end or every other one).
 */
class IovaIndexTest {
    private final DmaMapper mapper = new DmaMapper(-1);
    private final IovaIndex index = new IovaIndex();
    private final TreeMap<Long, DmaMapping> ref = new TreeMap<>(Long::compareUnsigned);
    private final Random rnd = new Random(42);

    @Test
    void agreesWithATreeMapUnderRandomInsertsAndRemovals() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(4096);
            List<DmaMapping> live = new ArrayList<>();
            for (int step = 0; step < 40_000; step++) {
                if (live.isEmpty() || rnd.nextInt(3) != 0) {
                    long iova = (rnd.nextInt(1 << 16) * 0x1000L) ^ (rnd.nextBoolean() ? Long.MIN_VALUE : 0); // unsigned order
                    if (!ref.containsKey(iova)) {
                        live.add(insert(seg, iova));
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
            MemorySegment seg = a.allocate(4096);
            int n = 20 * IovaIndex.BLOCK + 7;
            for (LongUnaryOperator order : List.<LongUnaryOperator>of(i -> i, i -> n - 1 - i, i -> i % 2 == 0 ? i / 2 : n - 1 - i / 2)) {
                for (int removal = 0; removal < 4; removal++) {
                    List<DmaMapping> maps = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        maps.add(insert(seg, 0x1_0000_0000L + order.applyAsLong(i) * 0x1000L));
                        check(i % 50 == 0);
                    }
                    check(true);
                    maps.sort((x, y) -> Long.compareUnsigned(x.iova(), y.iova()));
                    switch (removal) {
                        case 1 -> Collections.reverse(maps);
                        case 2 -> { // every other one first, then the rest: blocks thin out and merge
                            List<DmaMapping> evens = new ArrayList<>(), odds = new ArrayList<>();
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

    private DmaMapping insert(MemorySegment seg, long iova) {
        DmaMapping m = new DmaMapping(mapper, seg, iova, DmaPermission.READ_WRITE);
        index.insert(m);
        ref.put(iova, m);
        return m;
    }

    private void remove(DmaMapping m) {
        index.remove(m);
        ref.remove(m.iova());
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
            assertSame(value(ref.floorEntry(q)), index.floor(q), () -> "floor " + Long.toHexString(q));
            assertSame(value(ref.higherEntry(q)), index.higher(q), () -> "higher " + Long.toHexString(q));
        }
        if (all) {
            assertEquals(new ArrayList<>(ref.values()), index.toList());
            for (long k : ref.keySet()) {
                assertSame(ref.get(k), index.floor(k));
                assertSame(value(ref.higherEntry(k)), index.higher(k));
            }
        }
    }

    private static @Nullable DmaMapping value(Map.@Nullable Entry<Long, DmaMapping> e) {
        return e == null ? null : e.getValue();
    }
}

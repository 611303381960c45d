package org.vfio4j.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.eclipse.jdt.annotation.Nullable;
import org.junit.jupiter.api.Test;

/** The IOVA treap answers floor/higher and keeps order exactly as a TreeMap would, under random churn. */
class IovaTreeTest {
    @Test
    void agreesWithATreeMapUnderRandomInsertsAndRemovals() {
        DmaMapper mapper = new DmaMapper(-1);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(4096);
            IovaTree tree = new IovaTree();
            TreeMap<Long, DmaMapping> ref = new TreeMap<>(Long::compareUnsigned);
            Random rnd = new Random(42);
            List<DmaMapping> live = new ArrayList<>();
            for (int step = 0; step < 20_000; step++) {
                if (live.isEmpty() || rnd.nextInt(3) != 0) {
                    long iova = (rnd.nextInt(1 << 16) * 0x1000L) ^ (rnd.nextBoolean() ? Long.MIN_VALUE : 0); // unsigned order
                    if (ref.containsKey(iova)) {
                        continue;
                    }
                    DmaMapping m = new DmaMapping(mapper, seg, iova, DmaPermission.READ_WRITE);
                    tree.insert(m);
                    ref.put(iova, m);
                    live.add(m);
                } else {
                    DmaMapping m = live.remove(rnd.nextInt(live.size()));
                    tree.remove(m);
                    ref.remove(m.iova());
                }
                long q = rnd.nextLong();
                assertSame(value(ref.floorEntry(q)), tree.floor(q));
                assertSame(value(ref.higherEntry(q)), tree.higher(q));
                assertEquals(ref.size(), tree.size());
            }
            assertEquals(new ArrayList<>(ref.values()), tree.toList());
        } finally {
            mapper.close();
        }
    }

    private static @Nullable DmaMapping value(Map.@Nullable Entry<Long, DmaMapping> e) {
        return e == null ? null : e.getValue();
    }
}

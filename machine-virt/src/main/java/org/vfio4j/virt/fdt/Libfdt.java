package org.vfio4j.virt.fdt;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * FFM binding for the parts of {@code libfdt.h} (libfdt 1.6, Debian package {@code libfdt1}) that
 * vfio4j uses.
 *
 * <p><b>Written by hand in the shape jextract generates</b>, because jextract cannot be fetched on
 * the machine this was written on: one nested holder class per function with its
 * {@code FunctionDescriptor}, symbol address and downcall {@code MethodHandle}, and a static method of
 * the C function's name and signature that invokes it (pointers as {@link MemorySegment}). Where
 * jextract is available, regenerate it (and diff) with:
 * <pre>
 * apt-get install libfdt-dev
 * jextract --target-package org.vfio4j.virt.fdt --header-class-name Libfdt \
 *   --library :libfdt.so.1 --output machine-virt/src/main/java \
 *   --include-function fdt_create --include-function fdt_finish_reservemap \
 *   --include-function fdt_begin_node --include-function fdt_property \
 *   --include-function fdt_end_node --include-function fdt_finish \
 *   --include-function fdt_open_into --include-function fdt_pack \
 *   --include-function fdt_check_header --include-function fdt_strerror \
 *   --include-function fdt_first_subnode --include-function fdt_next_subnode \
 *   --include-function fdt_first_property_offset --include-function fdt_next_property_offset \
 *   --include-function fdt_getprop_by_offset --include-function fdt_get_name \
 *   --include-function fdt_path_offset --include-struct fdt_header \
 *   --include-constant FDT_ERR_NOTFOUND --include-constant FDT_ERR_NOSPACE ... \
 *   /usr/include/libfdt.h
 * </pre>
 * Two deliberate deviations from generated code: {@code fdt_totalsize} is a function-like macro in
 * {@code libfdt.h} (jextract skips those), so it is written here over the {@code fdt_header} layout
 * (big-endian fields, as the format says); and the library is looked up by soname
 * ({@code libfdt.so.1}), so the same class works on x86_64 and aarch64 Debian.
 *
 * <p>Thread safety: libfdt functions work on the caller's buffer only; callers confine buffers.
 */
public final class Libfdt {
    private Libfdt() {
    }

    /** The soname dlopen resolves through the loader cache on any Debian architecture. */
    public static final String SONAME = "libfdt.so.1";

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = lookup();

    private static SymbolLookup lookup() {
        try {
            return SymbolLookup.libraryLookup(SONAME, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new FdtException("cannot load " + SONAME + " (" + e.getMessage()
                    + "); install it with 'apt-get install libfdt1'", e);
        }
    }

    private static MethodHandle downcall(String name, FunctionDescriptor desc) {
        MemorySegment addr = LOOKUP.find(name).orElseThrow(() -> new FdtException(
                SONAME + " has no symbol " + name + "; libfdt 1.6 or newer is needed"));
        return LINKER.downcallHandle(addr, desc);
    }

    private static Error unexpected(Throwable t) {
        return new AssertionError("should not reach here", t);
    }

    // ---- constants (libfdt.h: #define FDT_ERR_...) --------------------------------------------

    /** The requested node or property does not exist. */
    public static int FDT_ERR_NOTFOUND() {
        return 1;
    }

    /** The buffer is too small for the operation. */
    public static int FDT_ERR_NOSPACE() {
        return 3;
    }

    /** Sequential-write calls were made in the wrong order. */
    public static int FDT_ERR_BADSTATE() {
        return 7;
    }

    /** The buffer does not start with the FDT magic. */
    public static int FDT_ERR_BADMAGIC() {
        return 9;
    }

    // ---- struct fdt_header ---------------------------------------------------------------------

    private static final ValueLayout.OfInt BE_INT = JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN);

    /** {@code struct fdt_header} (all fields big-endian {@code fdt32_t}). */
    public static final StructLayout fdt_header = MemoryLayout.structLayout(
            BE_INT.withName("magic"), BE_INT.withName("totalsize"), BE_INT.withName("off_dt_struct"),
            BE_INT.withName("off_dt_strings"), BE_INT.withName("off_mem_rsvmap"), BE_INT.withName("version"),
            BE_INT.withName("last_comp_version"), BE_INT.withName("boot_cpuid_phys"),
            BE_INT.withName("size_dt_strings"), BE_INT.withName("size_dt_struct")).withName("fdt_header");

    private static final VarHandle TOTALSIZE = fdt_header.varHandle(MemoryLayout.PathElement.groupElement("totalsize"));

    /** {@code #define fdt_totalsize(fdt) fdt_get_header(fdt, totalsize)}. */
    public static int fdt_totalsize(MemorySegment fdt) {
        return (int) TOTALSIZE.get(fdt.reinterpret(fdt_header.byteSize()), 0L);
    }

    // ---- sequential write -----------------------------------------------------------------------

    private static final class fdt_create {
        static final MethodHandle HANDLE = downcall("fdt_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    /** {@code int fdt_create(void *buf, int bufsize)}. */
    public static int fdt_create(MemorySegment buf, int bufsize) {
        try {
            return (int) fdt_create.HANDLE.invokeExact(buf, bufsize);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class fdt_finish_reservemap {
        static final MethodHandle HANDLE = downcall("fdt_finish_reservemap", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /** {@code int fdt_finish_reservemap(void *fdt)}. */
    public static int fdt_finish_reservemap(MemorySegment fdt) {
        try {
            return (int) fdt_finish_reservemap.HANDLE.invokeExact(fdt);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class fdt_begin_node {
        static final MethodHandle HANDLE = downcall("fdt_begin_node", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    /** {@code int fdt_begin_node(void *fdt, const char *name)}. */
    public static int fdt_begin_node(MemorySegment fdt, MemorySegment name) {
        try {
            return (int) fdt_begin_node.HANDLE.invokeExact(fdt, name);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class fdt_property {
        static final MethodHandle HANDLE = downcall("fdt_property",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
    }

    /** {@code int fdt_property(void *fdt, const char *name, const void *val, int len)}. */
    public static int fdt_property(MemorySegment fdt, MemorySegment name, MemorySegment val, int len) {
        try {
            return (int) fdt_property.HANDLE.invokeExact(fdt, name, val, len);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class fdt_end_node {
        static final MethodHandle HANDLE = downcall("fdt_end_node", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /** {@code int fdt_end_node(void *fdt)}. */
    public static int fdt_end_node(MemorySegment fdt) {
        try {
            return (int) fdt_end_node.HANDLE.invokeExact(fdt);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class fdt_finish {
        static final MethodHandle HANDLE = downcall("fdt_finish", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /** {@code int fdt_finish(void *fdt)}. */
    public static int fdt_finish(MemorySegment fdt) {
        try {
            return (int) fdt_finish.HANDLE.invokeExact(fdt);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---- read-write helpers ---------------------------------------------------------------------

    private static final class fdt_open_into {
        static final MethodHandle HANDLE = downcall("fdt_open_into",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    }

    /** {@code int fdt_open_into(const void *fdt, void *buf, int bufsize)}. */
    public static int fdt_open_into(MemorySegment fdt, MemorySegment buf, int bufsize) {
        try {
            return (int) fdt_open_into.HANDLE.invokeExact(fdt, buf, bufsize);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class fdt_pack {
        static final MethodHandle HANDLE = downcall("fdt_pack", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /** {@code int fdt_pack(void *fdt)}. */
    public static int fdt_pack(MemorySegment fdt) {
        try {
            return (int) fdt_pack.HANDLE.invokeExact(fdt);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class fdt_check_header {
        static final MethodHandle HANDLE = downcall("fdt_check_header", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /** {@code int fdt_check_header(const void *fdt)}. */
    public static int fdt_check_header(MemorySegment fdt) {
        try {
            return (int) fdt_check_header.HANDLE.invokeExact(fdt);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class fdt_strerror {
        static final MethodHandle HANDLE = downcall("fdt_strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    /** {@code const char *fdt_strerror(int errval)}. */
    public static MemorySegment fdt_strerror(int errval) {
        try {
            return (MemorySegment) fdt_strerror.HANDLE.invokeExact(errval);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---- read-only traversal --------------------------------------------------------------------

    private static final class fdt_first_subnode {
        static final MethodHandle HANDLE = downcall("fdt_first_subnode", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    /** {@code int fdt_first_subnode(const void *fdt, int offset)}. */
    public static int fdt_first_subnode(MemorySegment fdt, int offset) {
        try {
            return (int) fdt_first_subnode.HANDLE.invokeExact(fdt, offset);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class fdt_next_subnode {
        static final MethodHandle HANDLE = downcall("fdt_next_subnode", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    /** {@code int fdt_next_subnode(const void *fdt, int offset)}. */
    public static int fdt_next_subnode(MemorySegment fdt, int offset) {
        try {
            return (int) fdt_next_subnode.HANDLE.invokeExact(fdt, offset);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class fdt_first_property_offset {
        static final MethodHandle HANDLE = downcall("fdt_first_property_offset",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    /** {@code int fdt_first_property_offset(const void *fdt, int nodeoffset)}. */
    public static int fdt_first_property_offset(MemorySegment fdt, int nodeoffset) {
        try {
            return (int) fdt_first_property_offset.HANDLE.invokeExact(fdt, nodeoffset);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class fdt_next_property_offset {
        static final MethodHandle HANDLE = downcall("fdt_next_property_offset",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    /** {@code int fdt_next_property_offset(const void *fdt, int offset)}. */
    public static int fdt_next_property_offset(MemorySegment fdt, int offset) {
        try {
            return (int) fdt_next_property_offset.HANDLE.invokeExact(fdt, offset);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class fdt_getprop_by_offset {
        static final MethodHandle HANDLE = downcall("fdt_getprop_by_offset",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
    }

    /** {@code const void *fdt_getprop_by_offset(const void *fdt, int offset, const char **namep, int *lenp)}. */
    public static MemorySegment fdt_getprop_by_offset(MemorySegment fdt, int offset, MemorySegment namep,
            MemorySegment lenp) {
        try {
            return (MemorySegment) fdt_getprop_by_offset.HANDLE.invokeExact(fdt, offset, namep, lenp);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class fdt_get_name {
        static final MethodHandle HANDLE = downcall("fdt_get_name", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
    }

    /** {@code const char *fdt_get_name(const void *fdt, int nodeoffset, int *lenp)}. */
    public static MemorySegment fdt_get_name(MemorySegment fdt, int nodeoffset, MemorySegment lenp) {
        try {
            return (MemorySegment) fdt_get_name.HANDLE.invokeExact(fdt, nodeoffset, lenp);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class fdt_path_offset {
        static final MethodHandle HANDLE = downcall("fdt_path_offset", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    /** {@code int fdt_path_offset(const void *fdt, const char *path)}. */
    public static int fdt_path_offset(MemorySegment fdt, MemorySegment path) {
        try {
            return (int) fdt_path_offset.HANDLE.invokeExact(fdt, path);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}

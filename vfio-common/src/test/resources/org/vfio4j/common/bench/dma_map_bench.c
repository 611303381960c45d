/*
 * The C baseline for DmaMapBench: map SIZE bytes of anonymous memory into a VFIO Type1v2 container in
 * 4 KiB mappings (one VFIO_IOMMU_MAP_DMA each), then unmap them one by one, and print the two loop times.
 * Same ioctls, same order, same memory preparation (pages touched before timing) as the Java side.
 *
 * usage: dma_map_bench GROUP SIZE_BYTES IOVA_BASE
 * prints: C map_ns=<n> unmap_ns=<n> mappings=<n>
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int fail(const char *what) {
    fprintf(stderr, "C %s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s GROUP SIZE_BYTES IOVA_BASE\n", argv[0]);
        return 2;
    }
    char path[64];
    snprintf(path, sizeof path, "/dev/vfio/%s", argv[1]);
    uint64_t size = strtoull(argv[2], NULL, 0), base = strtoull(argv[3], NULL, 0), page = 4096;
    int container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    if (container < 0) return fail("open container");
    int group = open(path, O_RDWR | O_CLOEXEC);
    if (group < 0) return fail("open group");
    if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container)) return fail("VFIO_GROUP_SET_CONTAINER");
    if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) return fail("VFIO_SET_IOMMU");
    uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return fail("mmap");
    memset(mem, 1, size);

    struct vfio_iommu_type1_dma_map map = { .argsz = sizeof map,
        .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE, .size = page };
    struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof unmap, .size = page };
    uint64_t n = size / page;
    long long t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        map.vaddr = (uintptr_t)(mem + i * page);
        map.iova = base + i * page;
        if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map)) return fail("VFIO_IOMMU_MAP_DMA");
    }
    long long t1 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        unmap.iova = base + i * page;
        unmap.size = page;
        if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap)) return fail("VFIO_IOMMU_UNMAP_DMA");
    }
    long long t2 = now_ns();
    printf("C map_ns=%lld unmap_ns=%lld mappings=%llu\n", t1 - t0, t2 - t1, (unsigned long long)n);
    munmap(mem, size);
    close(group);
    close(container);
    return 0;
}

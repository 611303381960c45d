/*
 * The hostile guest: a static arm64 program the lab's test guest runs as root against its assigned PCI
 * function, doing what a malicious driver would through the guest kernel's sysfs (config space through
 * DEV/config, BAR 0 through an mmap of DEV/resource0). Every loop is seeded, so a failing run can be repeated.
 *
 *   hostile config-fuzz DEV SEED COUNT   random config writes: widths 1/2/4, offsets 0..4095, a quarter in the header
 *   hostile power DEV CYCLES             D3hot -> D0 CYCLES times, reading BAR 0 after each return to D0
 *   hostile decode DEV TOGGLES           memory decode off/on TOGGLES times while a second CPU reads BAR 0
 *   hostile bar-outside DEV COUNT        BAR 0 placed outside the host bridge's windows COUNT times, decode on
 *   hostile bar-move DEV COUNT           BAR 0 moved inside its window and back COUNT times, decode on
 *   hostile msix DEV SEED COUNT          random accesses over the MSI-X table and PBA, enable and function-mask toggles
 *   hostile restore DEV FILE             writes back the config header saved in FILE (raw 256 bytes), D0, decode last
 *
 * Each prints key=value lines the test reads; a failing system call prints "hostile-error=..." and exits 1.
 * The device must have no driver bound (the test unbinds it first).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int config_fd = -1;

static void fail(const char *what) {
    printf("hostile-error=%s:%s\n", what, strerror(errno));
    fflush(stdout);
    exit(1);
}

static uint64_t rng_state;

/* splitmix64: small, seedable, good enough to spread offsets and values. */
static uint64_t next_random(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t cfg_read(int off, int width) {
    uint32_t v = 0;
    if (pread(config_fd, &v, width, off) != width) {
        fail("config-read");
    }
    return v;
}

/* A config write the kernel may refuse (a short write) without ending the run: the guest owns only its view. */
static void cfg_write(int off, int width, uint32_t v) {
    if (pwrite(config_fd, &v, width, off) < 0 && errno != EIO && errno != EINVAL) {
        fail("config-write");
    }
}

static void open_config(const char *dev) {
    char path[512];
    snprintf(path, sizeof path, "%s/config", dev);
    config_fd = open(path, O_RDWR);
    if (config_fd < 0) {
        fail("open-config");
    }
}

/* The offset of standard capability ID, or 0. */
static int find_cap(int id) {
    if (!(cfg_read(0x06, 2) & 0x10)) {
        return 0;
    }
    int at = cfg_read(0x34, 1) & 0xFC;
    for (int n = 0; at >= 0x40 && n < 48; n++) {
        if ((int) cfg_read(at, 1) == id) {
            return at;
        }
        at = cfg_read(at + 1, 1) & 0xFC;
    }
    return 0;
}

static volatile uint32_t *map_bar0(const char *dev, size_t *size) {
    char path[512];
    snprintf(path, sizeof path, "%s/resource0", dev);
    int fd = open(path, O_RDWR | O_SYNC);
    if (fd < 0) {
        fail("open-resource0");
    }
    off_t end = lseek(fd, 0, SEEK_END);
    *size = end > 0 ? (size_t) end : 4096;
    void *p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        fail("mmap-resource0");
    }
    close(fd);
    return p;
}

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

static int config_fuzz(uint64_t seed, long count) {
    static const int widths[] = {1, 2, 4};
    rng_state = seed;
    long long t0 = now_ms();
    for (long i = 0; i < count; i++) {
        uint64_t r = next_random();
        int width = widths[r % 3];
        int off = (r >> 8) % 4 == 0 ? (int) ((r >> 16) % 64) : (int) ((r >> 16) % 4096);
        off &= ~(width - 1);
        cfg_write(off, width, (uint32_t) (r >> 32));
    }
    long long ms = now_ms() - t0;
    printf("fuzz-writes=%ld\nfuzz-ms=%lld\n", count, ms);
    return 0;
}

static void set_power(int pm, int state) {
    uint16_t pmcsr = cfg_read(pm + 4, 2);
    cfg_write(pm + 4, 2, (pmcsr & ~3u & ~0x8000u) | (unsigned) state);
}

static int power(const char *dev, long cycles) {
    int pm = find_cap(0x01);
    if (!pm) {
        printf("hostile-error=no-pm-capability\n");
        return 1;
    }
    size_t size;
    volatile uint32_t *bar = map_bar0(dev, &size);
    uint16_t command = cfg_read(0x04, 2);
    cfg_write(0x04, 2, command | 0x2);
    long bad = 0, ones_in_d3 = 0;
    for (long i = 0; i < cycles; i++) {
        set_power(pm, 3);
        if (bar[0] == 0xFFFFFFFFu) {
            ones_in_d3++;
        }
        set_power(pm, 0);
        struct timespec settle = {0, 10 * 1000 * 1000}; /* PCI PM: 10 ms from D3hot to D0 before an access */
        nanosleep(&settle, NULL);
        if (bar[0] == 0xFFFFFFFFu) {
            bad++;
        }
    }
    printf("power-cycles=%ld\npower-bad-reads=%ld\npower-ones-in-d3=%ld\n", cycles, bad, ones_in_d3);
    return 0;
}

static int decode(const char *dev, long toggles) {
    size_t size;
    volatile uint32_t *bar = map_bar0(dev, &size);
    uint16_t command = cfg_read(0x04, 2) | 0x2;
    cfg_write(0x04, 2, command);
    /* the reader's counts, shared with this process: [0] reads, [1] all-ones reads, [2] stop */
    volatile long *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        fail("mmap-shared");
    }
    pid_t reader = fork();
    if (reader < 0) {
        fail("fork");
    }
    if (reader == 0) {
        pin(1);
        while (!shared[2]) {
            if (bar[0] == 0xFFFFFFFFu) {
                shared[1]++;
            }
            shared[0]++;
        }
        _exit(0);
    }
    pin(0);
    long long t0 = now_ms();
    for (long i = 0; i < toggles; i++) {
        cfg_write(0x04, 2, command & ~0x2u);
        cfg_write(0x04, 2, command);
    }
    long long ms = now_ms() - t0;
    shared[2] = 1;
    waitpid(reader, NULL, 0);
    printf("decode-toggles=%ld\ndecode-ms=%lld\nreader-reads=%ld\nreader-ones=%ld\n", toggles, ms, shared[0],
           shared[1]);
    return 0;
}

static int bar_outside(long count) {
    uint32_t lo = cfg_read(0x10, 4), hi = cfg_read(0x14, 4);
    uint16_t command = cfg_read(0x04, 2);
    cfg_write(0x04, 2, command | 0x2);
    long long t0 = now_ms();
    for (long i = 0; i < count; i++) {
        /* below the 32-bit window (0x10000000): RAM-free, device-free addresses no BAR may decode at */
        cfg_write(0x14, 4, 0);
        cfg_write(0x10, 4, (uint32_t) (0x00100000u + (uint32_t) (i % 0x3000) * 0x4000u) | (lo & 0xF));
    }
    long long ms = now_ms() - t0;
    cfg_write(0x10, 4, lo);
    cfg_write(0x14, 4, hi);
    cfg_write(0x04, 2, command);
    printf("bar-outside=%ld\nbar-outside-ms=%lld\n", count, ms);
    return 0;
}

static int bar_move(long count) {
    uint32_t lo = cfg_read(0x10, 4), hi = cfg_read(0x14, 4);
    uint16_t command = cfg_read(0x04, 2);
    cfg_write(0x04, 2, command | 0x2);
    uint64_t base = ((uint64_t) hi << 32 | lo) & ~0xFull;
    long long t0 = now_ms();
    for (long i = 0; i < count; i++) {
        uint64_t to = base + (uint64_t) (1 + i % 64) * 0x100000ull; /* 1..64 MiB higher, inside the window */
        cfg_write(0x10, 4, (uint32_t) to | (lo & 0xF));
        cfg_write(0x14, 4, (uint32_t) (to >> 32));
        cfg_write(0x10, 4, lo);
        cfg_write(0x14, 4, hi);
    }
    long long ms = now_ms() - t0;
    cfg_write(0x04, 2, command);
    printf("bar-moves=%ld\nbar-move-ms=%lld\n", count, ms);
    return 0;
}

static int msix(const char *dev, uint64_t seed, long count) {
    int cap = find_cap(0x11);
    if (!cap) {
        printf("hostile-error=no-msix-capability\n");
        return 1;
    }
    uint32_t table = cfg_read(cap + 4, 4), pba = cfg_read(cap + 8, 4);
    if ((table & 7) != 0 || (pba & 7) != 0) {
        printf("hostile-error=msix-not-in-bar0\n");
        return 1;
    }
    int entries = (cfg_read(cap + 2, 2) & 0x7FF) + 1;
    uint32_t table_off = table & ~7u, pba_off = pba & ~7u;
    size_t size;
    volatile uint8_t *bar = (volatile uint8_t *) map_bar0(dev, &size);
    cfg_write(0x04, 2, cfg_read(0x04, 2) | 0x2);
    /* from the table's start to the end of the PBA's page: entries past the table and the PBA's edges included */
    uint32_t lo = table_off, hi = ((pba_off + 8u * ((entries + 63) / 64)) | 0xFFFu) + 1;
    if (hi > size) {
        hi = (uint32_t) size;
    }
    rng_state = seed;
    long reads = 0, writes = 0, toggles = 0;
    long long t0 = now_ms();
    for (long i = 0; i < count; i++) {
        uint64_t r = next_random();
        int op = (int) (r % 100);
        if (op < 2) {
            cfg_write(cap + 2, 2, (uint32_t) (r >> 32) & 0xC000u);
            toggles++;
            continue;
        }
        int width = (r >> 8) & 1 ? 8 : 4;
        uint32_t off = lo + (uint32_t) ((r >> 16) % (hi - lo));
        off &= ~(uint32_t) (width - 1);
        if (off + width > hi) {
            continue;
        }
        if (op < 50) {
            if (width == 8) {
                (void) *(volatile uint64_t *) (bar + off);
            } else {
                (void) *(volatile uint32_t *) (bar + off);
            }
            reads++;
        } else {
            uint64_t v = next_random();
            if (width == 8) {
                *(volatile uint64_t *) (bar + off) = v;
            } else {
                *(volatile uint32_t *) (bar + off) = (uint32_t) v;
            }
            writes++;
        }
    }
    long long ms = now_ms() - t0;
    cfg_write(cap + 2, 2, 0);
    printf("msix-entries=%d\nmsix-reads=%ld\nmsix-writes=%ld\nmsix-toggles=%ld\nmsix-ms=%lld\n", entries, reads, writes,
           toggles, ms);
    return 0;
}

static int restore(const char *file) {
    uint8_t saved[256];
    int fd = open(file, O_RDONLY);
    if (fd < 0 || read(fd, saved, sizeof saved) != (ssize_t) sizeof saved) {
        fail("read-saved-config");
    }
    close(fd);
    cfg_write(0x04, 2, 0);
    int pm = find_cap(0x01), msi = find_cap(0x05), msix = find_cap(0x11);
    if (pm) {
        set_power(pm, 0);
        struct timespec settle = {0, 10 * 1000 * 1000};
        nanosleep(&settle, NULL);
    }
    if (msi) {
        cfg_write(msi + 2, 2, 0);
    }
    if (msix) {
        cfg_write(msix + 2, 2, 0);
    }
    for (int off = 0x08; off < 0x100; off += 4) {
        uint32_t v;
        memcpy(&v, saved + off, 4);
        if ((msi && off == msi) || (msix && off == msix) || (pm && off == pm + 4)) {
            continue; /* control words stay off, the device in D0: the driver enables what it needs */
        }
        cfg_write(off, 4, v);
    }
    uint16_t command;
    memcpy(&command, saved + 0x04, 2);
    cfg_write(0x04, 2, command);
    printf("restored=1\n");
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 3) {
        fprintf(stderr, "usage: hostile config-fuzz|power|decode|bar-outside|bar-move|msix|restore DEV ...\n");
        return 2;
    }
    const char *cmd = argv[1], *dev = argv[2];
    open_config(dev);
    if (!strcmp(cmd, "config-fuzz") && argc == 5) {
        return config_fuzz(strtoull(argv[3], NULL, 0), atol(argv[4]));
    }
    if (!strcmp(cmd, "power") && argc == 4) {
        return power(dev, atol(argv[3]));
    }
    if (!strcmp(cmd, "decode") && argc == 4) {
        return decode(dev, atol(argv[3]));
    }
    if (!strcmp(cmd, "bar-outside") && argc == 4) {
        return bar_outside(atol(argv[3]));
    }
    if (!strcmp(cmd, "bar-move") && argc == 4) {
        return bar_move(atol(argv[3]));
    }
    if (!strcmp(cmd, "msix") && argc == 5) {
        return msix(dev, strtoull(argv[3], NULL, 0), atol(argv[4]));
    }
    if (!strcmp(cmd, "restore") && argc == 4) {
        return restore(argv[3]);
    }
    fprintf(stderr, "hostile: unknown command or wrong arguments: %s\n", cmd);
    return 2;
}

/*
 * /init of the tiny test guest (cross-compiled static for arm64 by GuestInitramfs): prints a marker, the
 * online CPU count and the device tree's root compatible, then powers off (PSCI SYSTEM_OFF).
 * Kernel command-line words change the ending: vfio4j_panic -> init exits (kernel panic; with panic=-1 the
 * kernel resets), vfio4j_idle -> waits forever (for the SIGTERM test).
 * Refuses to do anything unless it is PID 1, so running it on a build host (e.g. under qemu-user) is harmless.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

static int cmdline_has(const char *word) {
    char buf[4096];
    int fd = open("/proc/cmdline", O_RDONLY);
    if (fd < 0) return 0;
    int n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    return strstr(buf, word) != NULL;
}

int main(void) {
    if (getpid() != 1) {
        printf("vfio4j guest init: not PID 1, doing nothing\n");
        return 2;
    }
    mount("proc", "/proc", "proc", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    printf("VFIO4J-GUEST-MARKER\n");
    printf("cpus=%ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    char compat[512];
    int fd = open("/proc/device-tree/compatible", O_RDONLY);
    int n = fd < 0 ? 0 : read(fd, compat, sizeof compat - 1);
    if (n < 0) n = 0;
    compat[n] = 0;
    for (int i = 0; i + 1 < n; i++) if (compat[i] == 0) compat[i] = ',';
    printf("compatible=%s\n", compat);
    fflush(stdout);
    if (cmdline_has("vfio4j_panic")) {
        printf("vfio4j guest init: exiting on purpose (kernel panic expected)\n");
        fflush(stdout);
        return 1;
    }
    if (cmdline_has("vfio4j_idle")) {
        printf("VFIO4J-GUEST-IDLE\n");
        fflush(stdout);
        for (;;) pause();
    }
    sync();
    reboot(RB_POWER_OFF);
    return 0;
}

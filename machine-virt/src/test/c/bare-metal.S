/*
 * A bare-metal program written for QEMU's virt machine, for Arm64KvmBootLabTest: it says hello on the PL011
 * at 0x09000000, checks where the device tree is (X0 when booted as Linux, the base of RAM when booted as an
 * ELF) and powers off through PSCI over HVC. Position-independent, so the same code runs as the ELF (linked at
 * 0x40200000) and as the raw binary made from it (loaded at RAM + 0x80000).
 */
    .text
    .global _start
_start:
    mov     x19, x0                 // X0 as the machine left it
    adr     x1, hello
    bl      puts
    cbz     x19, 1f
    ldr     w2, [x19]               // booted as Linux: the DTB's address in X0
    adr     x1, in_x0
    b       2f
1:  movz    x3, #0x4000, lsl #16    // booted as an ELF: the DTB at the base of RAM
    ldr     w2, [x3]
    adr     x1, at_base
2:  movz    w4, #0x0dd0
    movk    w4, #0xedfe, lsl #16    // the FDT magic 0xd00dfeed, read little-endian
    cmp     w2, w4
    b.ne    3f
    bl      puts
3:  movz    x0, #0x0008
    movk    x0, #0x8400, lsl #16    // PSCI SYSTEM_OFF
    hvc     #0
    b       .

puts:                               // the NUL-terminated string at x1
    movz    x5, #0x0900, lsl #16
4:  ldrb    w6, [x1], #1
    cbz     w6, 5f
    str     w6, [x5]
    b       4b
5:  ret

hello:   .asciz "VFIO4J-BARE-METAL\n"
in_x0:   .asciz "VFIO4J-DTB-IN-X0\n"
at_base: .asciz "VFIO4J-DTB-AT-RAM-BASE\n"

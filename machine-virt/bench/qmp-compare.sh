#!/bin/sh
# QMP cont to the guest's marker, machine-virt against QEMU 10.0: QmpLabTest with 5 rounds per VMM, alternating,
# both driven by QEMU's qemu.qmp client in the aarch64 lab. Run on the build host from the checkout:
#   sh machine-virt/bench/qmp-compare.sh
# It prints the test's "QMP cont to marker" line (each round's milliseconds, the medians and their ratio).
exec sh "$(dirname "$0")/lab-class.sh" QmpLabTest "QMP cont to marker" -Dvfio4j.qmp.rounds=5

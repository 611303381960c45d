#!/bin/sh
# QMP cont to the guest's marker, machine-virt against QEMU 10.0: QmpLabTest with 5 rounds per VMM, alternating,
# both driven by QEMU's qemu.qmp client in the aarch64 lab. Run on the build host from the checkout:
#   sh machine-virt/bench/qmp-compare.sh
# It prints the test's "QMP cont to marker" line (each round's milliseconds, the medians and their ratio).
set -eu
cd "$(dirname "$0")/../.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
JAVA_HOME=${JAVA_HOME:-$(ls -d /usr/lib/jvm/*25* 2>/dev/null | head -n1)} ./mvnw -B -ntp -pl machine-virt -am verify \
  -Dgroups=lab -Dtest=QmpLabTest -Dsurefire.failIfNoSpecifiedTests=false -Dvfio4j.lab.batch=false \
  -Dvfio4j.qmp.rounds=5 -Dvfio4j.lab.echo=true >"$log" 2>&1 || status=$?
grep -h "QMP cont to marker" "$log" | sort -u
grep -E "Tests run:.*QmpLabTest|FAIL" "$log" || true
exit $status

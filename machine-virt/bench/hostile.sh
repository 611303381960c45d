#!/bin/sh
# The hostile-guest figures at full size: HostileGuestLabTest with -Dvfio4j.hostile.full=true (5 seeds x 100,000
# config writes; 200 D3hot cycles and 10,000 decode toggles per BAR mode; 3 x 200,000 provocations against a 128 MiB
# heap; 1,000,000 MSI-X accesses; 60 VMMs ended mid-I/O), in the aarch64 lab. Run on the build host from the checkout:
#   sh machine-virt/bench/hostile.sh
# It prints each test's "hostile-figure" line; the test command runs the same tests with reduced counts.
set -eu
cd "$(dirname "$0")/../.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
JAVA_HOME=${JAVA_HOME:-$(ls -d /usr/lib/jvm/*25* 2>/dev/null | head -n1)} ./mvnw -B -ntp -pl machine-virt -am verify \
  -Dgroups=lab -Dtest=HostileGuestLabTest -Dsurefire.failIfNoSpecifiedTests=false -Dvfio4j.lab.batch=false \
  -Dvfio4j.hostile.full=true -Dvfio4j.lab.timeout=10800 -Dvfio4j.lab.echo=true >"$log" 2>&1 || status=$?
grep -h "hostile-figure" "$log" | sort -u
grep -E "Tests run:.*HostileGuestLabTest|FAIL" "$log" || true
exit $status

#!/bin/sh
# The hostile-guest figures at full size: HostileGuestLabTest with -Dvfio4j.hostile.full=true (5 seeds x 100,000
# config writes; 200 D3hot cycles and 10,000 decode toggles per BAR mode; 3 x 200,000 provocations against a 128 MiB
# heap; 1,000,000 MSI-X accesses; 60 VMMs ended mid-I/O), in the aarch64 lab. Run on the build host from the checkout:
#   sh machine-virt/bench/hostile.sh
# It prints each test's "hostile-figure" line; the test command runs the same tests with reduced counts.
exec sh "$(dirname "$0")/lab-class.sh" HostileGuestLabTest hostile-figure -Dvfio4j.hostile.full=true \
  -Dvfio4j.lab.timeout=10800

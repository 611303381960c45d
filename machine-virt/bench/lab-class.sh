#!/bin/sh
# Runs one machine-virt lab class on the build host and prints the lines of its output that carry figures:
#   sh machine-virt/bench/lab-class.sh CLASS PATTERN [-Dname=value]...
# CLASS is the test class (HostileGuestLabTest), PATTERN a grep -E pattern for its figure lines, the rest goes to
# Maven (the class's own counts). Ends with the class's "Tests run" line and Maven's status.
set -eu
class=$1 pattern=$2
shift 2
cd "$(dirname "$0")/../.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
JAVA_HOME=${JAVA_HOME:-$(ls -d /usr/lib/jvm/*25* 2>/dev/null | head -n1)} ./mvnw -B -ntp -pl machine-virt -am verify \
  -Dgroups=lab "-Dtest=$class" -Dsurefire.failIfNoSpecifiedTests=false -Dvfio4j.lab.batch=false \
  -Dvfio4j.lab.echo=true "$@" >"$log" 2>&1 || status=$?
grep -hE "$pattern" "$log" | sort -u
grep -E "Tests run:.*$class|FAIL" "$log" || true
exit $status

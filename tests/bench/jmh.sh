#!/bin/bash
# JMH benchmarks of the per-request Java path on the host (not part of the unit tests).
#   bash tests/bench/jmh.sh [JMH options]      e.g. -prof gc, or a benchmark regex
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/test-cp.txt -Dmdep.includeScope=test
exec java -cp "target/test-classes:target/classes:$(cat target/test-cp.txt)" org.openjdk.jmh.Main "${@:--prof gc}"

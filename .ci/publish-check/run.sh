#!/usr/bin/env bash
# Proves that `./mvnw deploy` publishes what a company Nexus needs: deploys every published module to a
# file repository (as a Nexus would receive it), then builds a throwaway consumer that imports the BOM and
# depends on mq-client-rocketmq + mq-client-core, resolving SmartMQ from that repository only.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
work="$root/target/publish-check"
rm -rf "$work"; mkdir -p "$work/nexus" "$work/m2"
version="0.0.0-publishcheck"
m2cache="$(./mvnw -q help:evaluate -Dexpression=settings.localRepository -DforceStdout 2>/dev/null || echo "$HOME/.m2/repository")"

echo "publish-check: deploying version $version to $work/nexus"
./mvnw -B -q -ntp -DskipTests -Dmaven.install.skip=true -Drevision="$version" \
  -Dsmartmq.deploy.releases.url="file://$work/nexus" deploy

fail() { echo "publish-check: FAILED: $*" >&2; exit 1; }
repo="$work/nexus/dev/smartmq"
for m in mq-client-api mq-client-core mq-client-rocketmq mq-client-redis-fallback mq-client-zk-switch mq-client-testkit mq-client-metrics \
         mq-client-spring-boot-autoconfigure mq-client-spring-boot-starter; do
  for suffix in ".jar" "-sources.jar" "-javadoc.jar" ".pom"; do
    [ -f "$repo/$m/$version/$m-$version$suffix" ] || fail "missing $m-$version$suffix"
  done
  grep -q '\${revision}' "$repo/$m/$version/$m-$version.pom" && fail "$m pom still says \${revision}"
done
[ -f "$repo/mq-client-bom/$version/mq-client-bom-$version.pom" ] || fail "missing the BOM"
[ -f "$repo/smartmq-parent/$version/smartmq-parent-$version.pom" ] || fail "missing the parent pom"
for m in samples samples-spring-boot mq-client-bench mq-client-chaos mq-client-admin; do
  [ -e "$repo/$m" ] && fail "$m must not be deployed"
done

echo "publish-check: resolving the BOM + mq-client-rocketmq in a throwaway consumer"
mkdir -p "$work/consumer"
cp .ci/publish-check/consumer-pom.xml "$work/consumer/pom.xml"
PUBLISH_CHECK_REPO="file://$work/nexus" PUBLISH_CHECK_CACHE="file://$m2cache" \
  ./mvnw -B -q -ntp -f "$work/consumer/pom.xml" -s .ci/publish-check/settings.xml \
  -Dmaven.repo.local="$work/m2" -Dsmartmq.version="$version" \
  dependency:list -DoutputFile="$work/consumer/deps.txt" -DincludeGroupIds=dev.smartmq
grep -q "dev.smartmq:mq-client-rocketmq:jar:$version" "$work/consumer/deps.txt" || fail "mq-client-rocketmq not resolved"
grep -q "dev.smartmq:mq-client-api:jar:$version" "$work/consumer/deps.txt" || fail "mq-client-api not resolved transitively"
[ -f "$work/m2/dev/smartmq/mq-client-rocketmq/$version/mq-client-rocketmq-$version.jar" ] || fail "jar not fetched"
echo "publish-check: OK — deployed and resolved:"
sed 's/^/  /' "$work/consumer/deps.txt" | grep dev.smartmq

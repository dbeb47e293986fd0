#!/usr/bin/env bash
# Proves that `./mvnw deploy` publishes what a company Nexus needs: deploys every published module to a
# file repository (as a Nexus would receive it), then builds a throwaway consumer that imports the BOM and
# depends on mq-client-rocketmq + mq-client-core, resolving SmartMQ from that repository only; then a second
# throwaway project that depends on mq-client-testkit runs one testkit-based test and must resolve exactly the
# third-party versions our own build tests the testkit with.
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
for m in mq-client-api mq-client-core mq-client-rocketmq mq-client-redis-fallback mq-client-zk-switch mq-client-testkit mq-client-metrics; do
  for suffix in ".jar" "-sources.jar" "-javadoc.jar" ".pom"; do
    [ -f "$repo/$m/$version/$m-$version$suffix" ] || fail "missing $m-$version$suffix"
  done
  grep -q '\${revision}' "$repo/$m/$version/$m-$version.pom" && fail "$m pom still says \${revision}"
done
[ -f "$repo/mq-client-bom/$version/mq-client-bom-$version.pom" ] || fail "missing the BOM"
[ -f "$repo/smartmq-parent/$version/smartmq-parent-$version.pom" ] || fail "missing the parent pom"
for m in samples mq-client-bench mq-client-chaos mq-client-admin; do
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

echo "publish-check: a throwaway project runs a test on the published mq-client-testkit"
prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" pom.xml | head -1; }
tk="$work/testkit-consumer"
cp -r .ci/publish-check/testkit-consumer "$tk"
PUBLISH_CHECK_REPO="file://$work/nexus" PUBLISH_CHECK_CACHE="file://$m2cache" \
  ./mvnw -B -q -ntp -f "$tk/pom.xml" -s .ci/publish-check/settings.xml \
  -Dmaven.repo.local="$work/m2" -Dsmartmq.version="$version" -Djunit.version="$(prop junit.version)" \
  -Dsurefire.version="$(prop surefire.version)" -Dcompiler-plugin.version="$(prop compiler-plugin.version)" \
  -Dresources-plugin.version="$(prop resources-plugin.version)" \
  test dependency:list -DincludeScope=test -DoutputFile="$tk/deps.txt" > "$tk/build.log" 2>&1 \
  || { tail -60 "$tk/build.log" >&2; fail "the testkit consumer's build or test failed (log: $tk/build.log)"; }
grep -q 'Tests run: 1, Failures: 0, Errors: 0, Skipped: 0' "$tk"/target/surefire-reports/*.txt \
  || fail "the testkit consumer's test did not run and pass"
grep -q "dev.smartmq:mq-client-testkit:jar:$version" "$tk/deps.txt" || fail "mq-client-testkit not resolved"
grep -q "com.github.lansheng228:embedded-redis" "$tk/deps.txt" || fail "embedded-redis (the shipped redis-server) missing"
grep -q "cn.hutool" "$tk/deps.txt" && fail "embedded-redis brought its own libraries (only its resources are used)"

# Our build's view: the testkit's runtime closure as the reactor (with the parent's dependencyManagement) sees it.
# (compile: the reactor hands sibling modules to dependency:list only within a lifecycle; all up to date here)
./mvnw -B -q -ntp -Drevision="$version" -pl mq-client-testkit -am compile dependency:list -DincludeScope=runtime \
  -DexcludeGroupIds=dev.smartmq -DoutputFile="$work/testkit-ours.txt" -DappendOutput=true > "$work/ours.log" 2>&1 \
  || { tail -30 "$work/ours.log" >&2; fail "cannot list the testkit's dependencies in our build"; }
# g:a:type[:classifier] version, from dependency:list lines
norm() { grep -o '^ *[A-Za-z0-9_.-]*:[^ ]*' "$1" | sed 's/^ *//' \
  | awk -F: '{ v=$(NF-1); key=$1; for (i=2; i<=NF-2; i++) key=key ":" $i; print key, v }' | sort -u; }
# Optional dependencies (Testcontainers, for containers mode) are not the consumer's unless it adds them.
grep -v '(optional)' "$work/testkit-ours.txt" > "$work/testkit-ours-required.txt" || true
norm "$work/testkit-ours-required.txt" > "$work/ours.txt"
norm "$tk/deps.txt" > "$work/theirs.txt"
mismatch="$(awk 'NR==FNR { theirs[$1]=$2; next } !($1 in theirs) || theirs[$1] != $2 \
  { print "  " $1 ": ours " $2 ", the consumer got " (($1 in theirs) ? theirs[$1] : "nothing") }' \
  "$work/theirs.txt" "$work/ours.txt")"
[ -z "$mismatch" ] || fail "the testkit consumer resolves other versions than our build tests with:
$mismatch"
echo "publish-check: the testkit consumer's test passed with our build's $(wc -l < "$work/ours.txt") third-party artifacts, same versions"

echo "publish-check: OK — deployed and resolved:"
sed 's/^/  /' "$work/consumer/deps.txt" | grep dev.smartmq

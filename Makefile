# Sluice: `make run` starts the relay with the demo page, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# A JDK 21 or newer: JAVA_HOME when it qualifies, else the newest under $(JVM_DIR).
JVM_DIR ?= /usr/lib/jvm
# Prints the feature version (21, 25, ...) of the java it follows.
SPEC_VERSION := -XshowSettings:properties -version 2>&1 \
  | sed -n 's/^ *java\.specification\.version = //p'
JDK := $(shell \
  spec() { "$$1/bin/java" $(SPEC_VERSION); }; \
  if [ -n "$$JAVA_HOME" ] && [ -x "$$JAVA_HOME/bin/javac" ] \
     && [ "$$(spec "$$JAVA_HOME")" -ge 21 ] 2>/dev/null; then echo "$$JAVA_HOME"; exit; fi; \
  best=; bestv=0; \
  for d in $(JVM_DIR)/*; do \
    [ -x "$$d/bin/javac" ] || continue; v=$$(spec "$$d"); \
    [ "$$v" -gt "$$bestv" ] 2>/dev/null && { best=$$d; bestv=$$v; }; \
  done; \
  [ "$$bestv" -ge 21 ] && echo "$$best")

ifeq ($(JDK),)
  $(error Sluice needs a JDK 21 or newer: none found in JAVA_HOME or under $(JVM_DIR). \
    Install one (Debian 13: apt-get install openjdk-21-jdk-headless; Debian 12: Eclipse Temurin \
    21 or newer) or set JAVA_HOME to it)
endif
ifeq ($(shell command -v mvn),)
  $(error Sluice builds with Maven: 'mvn' is not on PATH (Debian: apt-get install maven))
endif

export JAVA_HOME := $(JDK)
# Maven's own libraries still call sun.misc.Unsafe; JDK 24+ warns about it on every build.
ifeq ($(shell "$(JDK)/bin/java" -XX:+IgnoreUnrecognizedVMOptions \
          --sun-misc-unsafe-memory-access=allow -version >/dev/null 2>&1 && echo ok),ok)
  export MAVEN_OPTS := --sun-misc-unsafe-memory-access=allow $(MAVEN_OPTS)
endif
# -Dstyle.color=never stops Maven's colours, but not the reset code (ESC[0m) that Jansi writes as
# Maven closes its console streams; jansi.noreset must be a JVM property, read before Maven's own
# options are.
export MAVEN_OPTS := -Djansi.noreset=true $(MAVEN_OPTS)
MVN := mvn -B -ntp -Dstyle.color=never
JAR := target/sluice.jar

.PHONY: help build run test clean bench bench-upstream-read bench-scrub test-clients token jwt \
  test-integration start-cache

help:
	@echo "make run    build and start Sluice on http://127.0.0.1:8080 (demo page at /)"
	@echo "make test   build and run the Java test suite"
	@echo "make build  build target/sluice.jar and target/sluice.war"
	@echo "make clean  remove build output"
	@echo "make token NAME=web    a client token and its line for the access file"
	@echo "make jwt SUB=alice     a JWT for trying the access file's JWT users"
	@echo "make test-clients      the Node SDKs and the demo page (Node.js 20+, npm, chromium)"
	@echo "make test-integration  the WAR on Tomcat and Jetty, Sluice behind nginx (tomcat10, nginx)"

# A recipe that fails leaves no half-made target behind to pass for a current one.
.DELETE_ON_ERROR:

# The jar is rebuilt only when what goes into it changed: a new jar would void the start-up cache
# below. Of etc/ only the route table is built in; the other files there are read at run time.
SOURCES := pom.xml etc/routes.properties $(shell find src/main webapp -type f 2>/dev/null)
$(JAR): $(SOURCES)
	$(MVN) -q -DskipTests package

build: $(JAR)
	@ls -1 target/sluice.jar target/sluice.war

# A start-up cache beside the jar, made by a training run that starts and stops Sluice: from
# JDK 25 an AOT cache (classes loaded and linked ahead, JEP 483), before it a class-data archive.
# Start-up on this project's 2-core machines: about 2-2.4 s without, 0.6-1.0 s with it.
# REHEARSAL='-Dsluice.rehearsal-seconds=20' streams a rehearsal through it first, so that the
# cache also holds method profiles (JEP 515): it made start-up slower, and a burst no faster.
JDK_FEATURE := $(shell "$(JDK)/bin/java" $(SPEC_VERSION))
ifeq ($(shell [ "$(JDK_FEATURE)" -ge 25 ] 2>/dev/null && echo aot),aot)
  CACHE := target/sluice.aot
  CACHE_FLAGS := -XX:AOTCache=$(CACHE)
  TRAIN := -Xlog:aot=error -Xlog:cds=error -XX:AOTCacheOutput=
else
  CACHE := target/sluice.jsa
  CACHE_FLAGS := -XX:SharedArchiveFile=$(CACHE)
  TRAIN := -Xlog:cds=error -XX:ArchiveClassesAtExit=
endif
REHEARSAL ?=
# The training run reads none of the user's settings (env -i, no settings file, no access file, no
# keys): it starts the built-in defaults on a free loopback port. It writes to a temporary name,
# so a run that fails leaves no cache behind.
$(CACHE): $(JAR)
	@echo "making the start-up cache $(CACHE) (a training run of the new jar)"
	@rm -f $@ $@.tmp
	@env -i PATH="$$PATH" HOME="$$HOME" "$(JDK)/bin/java" -Dsluice.host=127.0.0.1 -Dsluice.port=0 \
	  -Dsluice.start-only=true $(REHEARSAL) $(TRAIN)$@.tmp -jar $(JAR) \
	  > target/start-cache.log 2>&1 \
	  && [ -s $@.tmp ] || { cat target/start-cache.log >&2; rm -f $@.tmp; \
	  echo "sluice: the training run for $(CACHE) failed (its output is above)" >&2; exit 1; }
	@mv $@.tmp $@

start-cache: $(CACHE)

# JAVA_OPTS adds flags. Sluice exits with status 2 when it refuses a setting, having said why in
# one line, and make run fails with it (make adds its own line below, as for any failed recipe);
# it exits 130 or 143 when Ctrl-C or SIGTERM stopped it, having logged the stop, which is no
# failure of make run.
JAVA_OPTS ?=
RUN = "$(JDK)/bin/java" $(strip $(CACHE_FLAGS) $(JAVA_OPTS)) -jar $(JAR)
run: build $(CACHE)
	$(info $(RUN))
	@$(RUN) || { status=$$?; case $$status in 130|143) ;; *) exit $$status ;; esac; }

test:
	$(MVN) verify

clean:
	$(MVN) -q clean

# make bench [SCENARIO=all|smoke|paced-100|paced-1000|cold-burst|paced-1000-resumable|
# paced-1000-keys|held-8k|firehose|smoke-keys|paced-1000-silent, or several comma-separated]
# [GC=g1,zgc,serial]
# [SLUICE_OPTS='more JVM flags'] [REDIS=1] [ROUNDS=N]
# Sluice beside a direct connection, nginx, a byte pump (the shape's floor) and Jetty's proxy;
# REDIS=1 adds sluice-g1-redis, Sluice sharing its streams through a redis-server the bench starts;
# paced-1000-keys and smoke-keys add sluice-GC-keys, Sluice with three keys of which the upstream
# rate-limits one, run beside direct and the pump only (SCENARIO=paced-1000,paced-1000-keys
# compares it with single-key Sluice); cold-burst runs paced-1000's load against a new Sluice
# process as soon as its /readyz answers 200, beside direct only, and compares it with paced-1000
# (SCENARIO=paced-1000,cold-burst);
# ROUNDS=N (1-9) runs the scenarios N times and reports each one's median round; writes
# target/bench/report.md, report.json, latency.svg.
SCENARIO ?= all
GC ?= g1,zgc
REDIS ?=
ROUNDS ?= 1
bench: build
	$(MVN) -q -Pbench compiler:compile@bench dependency:build-classpath@bench-classpath
	ulimit -n 20000 2>/dev/null || { echo "make bench needs 20000 open files per process:" \
	  "'ulimit -n 20000' failed (hard limit $$(ulimit -Hn)); raise the hard limit" >&2; exit 1; }; \
	BENCH_SLUICE_OPTS="$(SLUICE_OPTS)" BENCH_REDIS="$(REDIS)" BENCH_ROUNDS="$(ROUNDS)" \
	  "$(JDK)/bin/java" -Xmx2g -cp target/bench-classes \
	  dev.sluice.bench.BenchMain "$(SCENARIO)" $(JAR) target/bench "$(GC)" \
	  target/bench-classpath.txt

# The floor under Sluice's CPU per event: what reading the upstream alone costs, through the JDK
# HttpClient as Sluice reads it and through a plain socket (paced-1000 and firehose).
bench-upstream-read:
	$(MVN) -q -Pbench compiler:compile@bench
	"$(JDK)/bin/java" -Xmx1g -cp target/bench-classes dev.sluice.bench.UpstreamReadCost target/bench

# make bench-scrub: the CPU that the look for the configured keys adds to each event, in-process.
bench-scrub: build
	$(MVN) -q -Pbench compiler:compile@bench
	"$(JDK)/bin/java" -Xmx256m -cp target/bench-classes:target/classes dev.sluice.bench.ScrubCost

# make test-clients: the OpenAI and Anthropic Node SDKs, the eventsource package and the demo page
# in Debian's headless Chromium (/usr/bin/chromium) against the built jar; needs Node.js 20+, npm.
CLIENTS := src/test/js
test-clients: build
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "make test-clients" \
	  "needs Node.js 20 or newer and npm on PATH" >&2; exit 1; }
	cd $(CLIENTS) && if [ ! -f node_modules/.package-lock.json ] \
	    || [ package-lock.json -nt node_modules/.package-lock.json ] \
	    || [ package.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
	cd $(CLIENTS) && node --test --test-reporter=spec --test-concurrency=1 \
	  --test-timeout=120000 *.test.js

# make test-integration: the WAR on Debian's Tomcat 10.1 (apt-get install tomcat10) and on Jetty's
# own distribution (from Maven Central), and Sluice behind Debian's nginx (apt-get install nginx),
# each started on a loopback port; a few minutes.
test-integration:
	$(MVN) -Pintegration verify

# make token NAME=web: a new client token, shown once, and the line that admits it.
token:
	@[ -n "$(NAME)" ] && printf %s "$(NAME)" | grep -Eq '^[a-z][a-z0-9-]*$$' || { echo \
	  "usage: make token NAME=client-name (lower case letters, digits and -)" >&2; exit 2; }
	@token="slc_$$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"; \
	hash=$$(printf %s "$$token" | sha256sum | cut -d' ' -f1); \
	echo "Token for $(NAME) (shown only now; give it to the client and keep no copy):"; \
	echo "  $$token"; \
	echo "Put this line in your access file (SLUICE_ACCESS; start from a copy of the sample:"; \
	echo "cp etc/access.properties access.local.properties, which git ignores), in place of any"; \
	echo "client.$(NAME).token-sha256 line there (the sample's is a placeholder):"; \
	echo "  client.$(NAME).token-sha256 = $$hash"

# make jwt SUB=alice: a JWT to try the access file's JWT users with (jwt.hs256-secret-env), with
# its iss and aud, signed with that variable's text as Sluice checks it; TTL in seconds.
TTL ?= 3600
jwt: build
	@[ -n "$(SUB)" ] || { echo "usage: SLUICE_ACCESS=file make jwt SUB=user-id [TTL=seconds]" \
	  >&2; exit 2; }
	@"$(JDK)/bin/java" -cp $(JAR) dev.sluice.access.TryJwt "$(SUB)" "$(TTL)"

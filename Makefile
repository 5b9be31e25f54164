# Sluice: `make run` starts the relay with the demo page, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# A JDK 21 or newer: JAVA_HOME when it qualifies, else the newest under $(JVM_DIR).
JVM_DIR ?= /usr/lib/jvm
JDK := $(shell \
  spec() { "$$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = //p'; }; \
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
    Install one (Debian: apt-get install openjdk-21-jdk-headless) or set JAVA_HOME to it)
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
MVN := mvn -B -ntp -Dstyle.color=never
JAR := target/sluice.jar

.PHONY: help build run test clean

help:
	@echo "make run    build and start Sluice on http://127.0.0.1:8080 (demo page at /)"
	@echo "make test   build and run the whole test suite"
	@echo "make build  build target/sluice.jar and target/sluice.war"
	@echo "make clean  remove build output"

build:
	$(MVN) -q -DskipTests package
	@ls -1 target/sluice.jar target/sluice.war

run: build
	"$(JDK)/bin/java" -jar $(JAR)

test:
	$(MVN) verify

clean:
	$(MVN) -q clean

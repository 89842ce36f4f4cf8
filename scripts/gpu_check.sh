#!/usr/bin/env bash
# On a machine with an NVIDIA GPU (CuPy and torch's CUDA build installed): run the GPU-marked
# tests and the GPU benchmarks, then print a summary. ember is pure Python: no install needed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
python3 -c "import ember; assert ember.cuda.is_available(), 'no GPU visible to CuPy'; print('GPU:', ember.cuda.get_device_name())" || exit 1
python3 -m pytest -m gpu -q -p no:cacheprovider -o addopts="" tests 2>&1 | tee /tmp/ember_gpu_tests.log
tests_rc=${PIPESTATUS[0]}
python3 benchmarks/gpu.py 2>&1 | tee /tmp/ember_gpu_bench.log
echo
echo "== summary =="
tail -n 1 /tmp/ember_gpu_tests.log
grep '^GPU ' /tmp/ember_gpu_bench.log
exit "$tests_rc"

#!/usr/bin/env bash
# The C++ extension built with sanitizers, and the tests run against it.
#
#   tools/sanitize.sh [address|thread] [pytest arguments...]
#
# address (default): AddressSanitizer + UndefinedBehaviorSanitizer, the whole test suite
#   (or the given pytest arguments).
# thread: ThreadSanitizer, the tests that step simulations on the thread pool.
#
# Nothing outside build/sanitize-<kind>/ is touched: the extension is compiled there with
# CMake, beside a copy of src/gail_fast, and the tests import that copy through a small
# virtual environment that sees the development one's packages (PYTHON, default
# .venv/bin/python, with torch, mujoco, pybind11 and the test extras installed) but not its
# editable gail_fast. The sanitizer runtimes are preloaded into Python; leak detection is
# off (CPython keeps its allocations until exit). Reports go to build/sanitize-<kind>/logs/,
# and the script fails if there is any.
#
# Wall time on the 2-core development machine, shared (load average about 7): address,
# 13 min to build and 13 min for the 209 tests; thread, 2.5 min in all. Too long for CI.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

kind=${1:-address}
[ $# -gt 0 ] && shift
case $kind in
  address)
    flags="-fsanitize=address,undefined -fsanitize-recover=address,undefined -fno-omit-frame-pointer"
    runtimes="libasan.so libubsan.so"
    default_tests=(tests)
    ;;
  thread)
    # No function entry/exit hooks: the AVX2 clone's ifunc resolver (mocap/pose_features.cc)
    # runs while the library is being relocated, before it could call them. Reports keep
    # the racing accesses' own addresses, with shorter stacks.
    flags="-fsanitize=thread --param=tsan-instrument-func-entry-exit=0"
    runtimes="libtsan.so"
    # Simulations stepped by 1, 2 and 8 threads, the batch feature kernel, rollouts.
    default_tests=(tests/test_batch_env.py tests/test_env_parity.py tests/test_pose_features.py)
    ;;
  *)
    echo "usage: tools/sanitize.sh [address|thread] [pytest arguments...]" >&2
    exit 2
    ;;
esac
tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=("${default_tests[@]}")

python=${PYTHON:-$root/.venv/bin/python}
dir=$root/build/sanitize-$kind
start=$(date +%s)

# 1. The extension, with the sanitizer's flags on top of the project's own.
"$python" -m cmake --version >/dev/null 2>&1 && cmake=("$python" -m cmake) || cmake=(cmake)
generator=()
command -v ninja >/dev/null 2>&1 || [ -x "$(dirname "$python")/ninja" ] && generator=(-G Ninja)
PATH="$(dirname "$python"):$PATH" "${cmake[@]}" -S "$root" -B "$dir/cmake" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="$flags -g" \
  -DCMAKE_SHARED_LINKER_FLAGS="$flags" \
  -DPython_EXECUTABLE="$python" \
  -Dpybind11_DIR="$("$python" -m pybind11 --cmakedir)" >"$dir.configure.log"
PATH="$(dirname "$python"):$PATH" nice -n 10 "${cmake[@]}" --build "$dir/cmake" --parallel 2 >"$dir.build.log"

# 2. A package folder: the sources, the sanitized extension, and mujoco where the
# extension's RPATH ($ORIGIN/../mujoco) looks for it.
site=$dir/site
rm -rf "$site"
mkdir -p "$site"
cp -r "$root/src/gail_fast" "$site/gail_fast"
find "$site/gail_fast" -name '_core*.so' -delete
cp "$dir"/cmake/_core*.so "$site/gail_fast/"
packages=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
ln -s "$packages/mujoco" "$site/mujoco"

# 3. A virtual environment whose path is the package folder, then the development
# environment's packages (listed, not added as a site directory: its editable gail_fast
# hook stays unloaded).
venv=$dir/venv
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv --without-pip "$venv"
fi
venv_packages=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
printf '%s\n%s\n' "$site" "$packages" >"$venv_packages/gail_fast_sanitize.pth"
# (found, not imported: the extension needs the runtimes preloaded)
"$venv/bin/python" -c "import importlib.util as u; o = u.find_spec('gail_fast').origin; assert o.startswith('$site'), o"

# 4. The tests, with the runtimes preloaded (they must come first in the process).
logs=$dir/logs
rm -rf "$logs"
mkdir -p "$logs"
preload=""
for lib in $runtimes; do
  preload="$preload${preload:+:}$(g++ -print-file-name="$lib")"
done
common="halt_on_error=0:log_path=$logs/report:print_stacktrace=1"
status=0
LD_PRELOAD=$preload \
  ASAN_OPTIONS="detect_leaks=0:$common:allow_user_segv_handler=1" \
  UBSAN_OPTIONS="$common" \
  TSAN_OPTIONS="$common:report_signal_unsafe=0" \
  CI=true nice -n 10 "$venv/bin/python" -m pytest -p no:cacheprovider -q "${tests[@]}" || status=$?

elapsed=$(($(date +%s) - start))
reports=$(find "$logs" -type f | sort)
echo "sanitize ($kind): pytest exit $status, $(echo -n "$reports" | grep -c . || true) report file(s), ${elapsed}s"
if [ -n "$reports" ]; then
  # The first lines of each distinct report.
  grep -hE "^(SUMMARY|.*runtime error:|WARNING: ThreadSanitizer|ERROR: AddressSanitizer)" $reports | sort | uniq -c | head -40
  exit 1
fi
exit $status

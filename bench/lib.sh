# Shared helpers for the benchmark scripts (sourced).
# median_seconds N CMD... : runs CMD N times (output discarded), prints the median wall time.
median_seconds() {
  local n=$1; shift
  local times=()
  for ((i = 0; i < n; i++)); do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {if (NR%2) printf "%.3f\n", a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'
}

# ratio A B : A / B with 2 decimals
ratio() { echo "scale=2; $1 / $2" | bc -l | sed 's/^\./0./'; }

# KMPKIT (a built kmpkit) and KMPKIT_KERNEL_ROOT both set: used as they are, nothing is set up.
bench_setup() {
  cd "$(dirname "${BASH_SOURCE[1]}")/.."
  if [ -n "${KMPKIT:-}" ] && [ -n "${KMPKIT_KERNEL_ROOT:-}" ]; then
    export KMPKIT_KERNEL_ROOT
  else
    eval "$(scripts/test-setup.sh | tail -1)"
    export KMPKIT_KERNEL_ROOT KMPKIT_TEST_MODULES
    KMPKIT=$PWD/build/src/kmpkit
  fi
  KVER=$(cat "$KMPKIT_KERNEL_ROOT/KVER")
}

#!/usr/bin/env bash
# What the modprobe hints of `kmpkit drivers --write-rules` cost a normal modprobe. A root holds what
# q35-virtio's devices need (Debian's modprobe resolves them in the whole build; their files and
# dependencies are copied), its database by Debian's depmod, and the kernel package's driver index;
# every other module of the build gets a hint alias (~3950 lines). Timed: `modprobe -n` of an
# installed module (virtio_net) and of an absent one (e1000e), with the rules and with an empty
# modprobe.d, median of RUNS runs each (default 300), in microseconds.
#   bench/modprobe-hints.sh [SPLIT_DIR]   SPLIT_DIR: a `kmpkit split` output (its driver-index.gz);
#                                         default: a split of the default input is made first
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_setup
RUNS=${RUNS:-300}
work=$(mktemp -d -t kmpkit-bench-hints.XXXXXX)
[ -n "${KEEP:-}" ] && echo "keeping $work" || trap 'rm -rf "$work"' EXIT
split=${1:-}
if [ -z "$split" ]; then
  split=$work/split
  "$KMPKIT" split --policy policies/default.toml -b "$KMPKIT_KERNEL_ROOT" "$KVER" --out "$split" >/dev/null
fi
mods=$KMPKIT_KERNEL_ROOT/lib/modules/$KVER

full=$work/full/lib/modules/$KVER; mkdir -p "$full"
ln -s "$mods/kernel" "$full/kernel"; cp "$mods"/modules.{builtin,builtin.modinfo,order} "$full/"
depmod -b "$work/full" "$KVER"
root=$work/root; rmods=$root/lib/modules/$KVER; mkdir -p "$rmods" "$work/noconf"
cp "$mods"/modules.{builtin,builtin.modinfo,order} "$rmods/"
cut -f2 hw-profiles/q35-virtio/modalias.tsv | while read -r a; do
  modprobe -C "$work/noconf" -d "$work/full" -S "$KVER" -R "$a" 2>/dev/null || true
done | sort -u | while read -r m; do
  modprobe -C "$work/noconf" -d "$work/full" -S "$KVER" --show-depends "$m" 2>/dev/null | awk '$1=="insmod"{print $2}'
done | sort -u | while read -r f; do
  rel=${f#"$work/full/lib/modules/$KVER/"}; mkdir -p "$rmods/$(dirname "$rel")"; cp "$mods/$rel" "$rmods/$rel"
done
depmod -b "$root" "$KVER"
install -D -m 0644 "$split/driver-index.gz" "$root/usr/lib/kmpkit/drivers/$KVER.index.gz"
"$KMPKIT" drivers --root "$root" --write-rules
rules=$(grep -c '^alias' "$root/etc/modprobe.d/90-kmpkit-missing-drivers.conf")
echo "root: $(find "$rmods" -name '*.ko*' | wc -l) modules installed, $rules hint rules ($(stat -c %s "$root/etc/modprobe.d/90-kmpkit-missing-drivers.conf") bytes)"

python3 - "$RUNS" "$root" "$work/noconf" "$KVER" <<'PY'
import statistics, subprocess, sys, time
runs, root, noconf, kver = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def median_us(conf, module):
    cmd = ["modprobe", "-n", "-C", conf, "-d", root, "-S", kver, module]
    times = []
    for i in range(runs):
        t = time.perf_counter(); subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6
print(f"{'modprobe -n':<22} {'no rules (us)':>14} {'with rules (us)':>16} {'difference (us)':>16} {'ratio':>6}")
for label, module in (("installed virtio_net", "virtio_net"), ("absent e1000e", "e1000e")):
    # interleaved halves, so that a change of machine load hits both columns alike
    a1 = median_us(noconf, module); b1 = median_us(root + "/etc/modprobe.d", module)
    a2 = median_us(noconf, module); b2 = median_us(root + "/etc/modprobe.d", module)
    a, b = (a1 + a2) / 2, (b1 + b2) / 2
    print(f"{label:<22} {a:>14.0f} {b:>16.0f} {b - a:>16.0f} {b / a:>6.2f}")
print(f"(median of {runs} runs each, twice interleaved; the goal: a difference of at most 1000 us)")
PY

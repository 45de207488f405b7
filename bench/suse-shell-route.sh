#!/usr/bin/env bash
# The shell route SUSE's kernel packaging takes today, per module file given on stdin:
# requires from `modprobe --dump-modversions`, supplements from `modinfo -F alias` encoded,
# sorted and merged (bench/modalias-merge.pl). Prints the same strings as kmpkit depgen does for
# one module at a time. Usage: ... | suse-shell-route.sh FLAVOR
flavor=${1:-amd64}
here=$(dirname "$0")
while IFS= read -r f; do
  /sbin/modprobe --dump-modversions "$f" | sed -E "s/^0x0*([0-9a-f]+)\t(.*)$/ksym($flavor:\2) = \1/"
  /sbin/modinfo -F alias "$f" | perl "$here/modalias-merge.pl" "$flavor"
done

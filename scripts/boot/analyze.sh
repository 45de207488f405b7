# kmpkit boot harness: what the booted machine reported, judged against the installed module
# database and the whole kernel's (sourced by scripts/boot-test.sh; uses its variables).
# shellcheck shell=bash

# The whole kernel's module database (every module), for "would the full kernel have a module
# for this request?": made once per kernel with kmpkit depmod over a hard-linked copy.
full_database() {
  local db=$cache/boot/fulldb-$kver kr=$kroot
  # The booted kernel's own tree (after --update-repo it is not the first kernel's).
  if [ ! -d "$kr/lib/modules/$kver" ]; then
    local abi=${kver#6.1.0-}; abi=${abi%%-*}
    kr=$("$src/scripts/fetch-kernel.sh" "$abi" | tail -1) || return 1
  fi
  if [ ! -f "$db/lib/modules/$kver/modules.alias.bin" ]; then
    rm -rf "$db.tmp"; mkdir -p "$db.tmp/lib/modules"
    cp -al "$kr/lib/modules/$kver" "$db.tmp/lib/modules/" && rm -f "$db.tmp/lib/modules/$kver/build" "$db.tmp/lib/modules/$kver/source"
    "$kmpkit" depmod -b "$db.tmp" -a "$kver" > "$work/fulldb.log" 2>&1 || return 1
    find "$db.tmp/lib/modules/$kver" -mindepth 1 -maxdepth 1 ! -name 'modules.*' -exec rm -rf {} +
    rm -rf "$db"; mv "$db.tmp" "$db"
  fi
  echo "$db"
}

# resolve DB NAME: the modules modprobe would load for a module name or alias ("" = none).
resolve() { modprobe -d "$1" -S "$kver" -R "$2" 2>/dev/null | sort -u | tr '\n' ' ' | sed 's/ $//'; }

# Requests: "NAME<TAB>REQUESTER" lines from the kernel's request_module() trace, the modprobe
# logger, systemd's and udev's "Failed to find module", modprobe@ units and every device's modalias.
collect_requests() {
  local g=$1
  # kernel: "  mount-364  [000] .....  55.859: module_request: fs-ext4 wait=1 call_site=..."
  sed -n 's/^ *\(.*\)-[0-9]* *\[[0-9]*\].* module_request: \([^ ]*\) wait=.*/\2\tkernel request_module() by \1/p' "$g/trace" 2>/dev/null
  # modprobe (initrd and root): "kmpkit-modprobe: caller=systemd args=-abq loop"
  grep -h -o 'kmpkit-modprobe: caller=[^ ]* args=.*' "$g/dmesg" 2>/dev/null | tr -d '\r' | sort -u | while read -r _ c args; do
    local caller=${c#caller=} all=0 first=1 w skip=0 remove=0
    set -f
    # shellcheck disable=SC2086
    set -- ${args#args=}
    set +f
    for w in "$@"; do
      case $w in -r|--remove) remove=1 ;; esac
      case $w in -*a*) [[ $w != --* ]] && all=1 ;; --all) all=1 ;; esac
    done
    [ $remove = 1 ] && continue
    for w in "$@"; do
      if [ $skip = 1 ]; then skip=0; continue; fi
      case $w in
        -d|-S|-C|--dirname|--set-version|--config) skip=1; continue ;;
        -*) continue ;;
      esac
      [ $first = 1 ] || [ $all = 1 ] || break
      printf '%s\tmodprobe run by %s\n' "$w" "$caller"
      first=0
    done
  done
  # systemd and udev through libkmod: "systemd[1]: Failed to find module 'autofs4'"
  sed -n "s/^\[[^]]*\] [^ ]* \([^:[]*\)\(\[[0-9]*\]\)\{0,1\}: Failed to find module '\([^']*\)'.*/\3\t\1/p" "$g/journal" 2>/dev/null \
    | sed 's/\t(udev-worker)$/\tudev/'
  # systemd's modprobe@NAME.service units
  sed -n 's/^modprobe@\([^ ]*\)\.service .*/\1\tsystemd modprobe@\1.service/p' "$g/modprobe-units" 2>/dev/null
  # udev: every device's modalias
  awk -F'\t' '$2 != "" {print $2 "\tudev (device " $1 ")"}' "$g/devices" 2>/dev/null
}

analyze() {
  local log=$1 g=$2
  rm -rf "$g"; mkdir -p "$g"
  sed -n '/^KMPKIT-REPORT-BEGIN/,/^KMPKIT-REPORT-END/p' "$log" | sed '1d;$d' | tr -d '\r' | base64 -d 2>/dev/null \
    | tar -C "$g" -xzf - 2>/dev/null || fail 4 "the report on the second serial port is damaged ($log; console: $out/serial.log)"
  local fulldb installed_db=$out/installed-db
  fulldb=$(full_database) || fail 5 "kmpkit depmod of the whole kernel failed (see $work/fulldb.log)"
  # An image another run booted: the database its disk held when that machine powered off.
  [ -f "$installed_db/lib/modules/$kver/modules.dep" ] || installed_db=${image_from:-$out}/after-boot/installed-db
  [ -f "$installed_db/lib/modules/$kver/modules.dep" ] || installed_db=${image_from:-$out}/installed-db

  cut -d' ' -f1 "$g/modules" | sort -u > "$work/loaded.txt"
  sed 's|.*/||; s|\.ko.*||; s|-|_|g' "$fulldb/lib/modules/$kver/modules.builtin" | sort -u > "$work/builtin.txt"
  local harness="9p 9pnet 9pnet_virtio netfs fscache"
  if [ -f "$profile_dir/loaded-modules.txt" ]; then
    sort -u "$profile_dir/loaded-modules.txt" | grep -vxF -f <(tr ' ' '\n' <<< "$harness") \
      | comm -23 - <(sort -u "$work/loaded.txt" "$work/builtin.txt") > "$work/ground-truth-missing.txt"
  else
    : > "$work/ground-truth-missing.txt"
  fi

  # Each requested name once, with everyone who asked for it.
  collect_requests "$g" | awk -F'\t' '$1 != "" {if (!($1 in r)) {o[++n] = $1; r[$1] = $2} else if (index(r[$1], $2) == 0) r[$1] = r[$1] "; " $2}
    END {for (i = 1; i <= n; i++) print o[i] "\t" r[o[i]]}' > "$work/requests.tsv"
  : > "$work/failures.tsv"; : > "$work/unresolved.tsv"; : > "$work/declined.tsv"; : > "$work/satisfied.tsv"
  local name who inst full m notloaded
  while IFS=$'\t' read -r name who; do
    inst=$(resolve "$installed_db" "$name")
    if [ -n "$inst" ]; then
      printf '%s\t%s\t%s\n' "$name" "$inst" "$who" >> "$work/satisfied.tsv"
      # A device's module that is installed but did not stay loaded or bind: it declines the device.
      if [[ $who == udev* ]]; then
        notloaded=
        for m in $inst; do grep -qxF "$m" "$work/loaded.txt" "$work/builtin.txt" || notloaded+="$m "; done
        [ -n "$notloaded" ] && printf '%s\t%s\t%s\n' "$name" "${notloaded% }" "$who" >> "$work/declined.tsv"
      fi
      continue
    fi
    full=$(resolve "$fulldb" "$name")
    local real=
    for m in $full; do grep -qxF "$m" "$work/builtin.txt" || real+="$m "; done
    if [ -n "$real" ]; then
      printf '%s\t%s\t%s\n' "$name" "${real% }" "$who" >> "$work/failures.tsv"
    else
      printf '%s\t%s\t%s\n' "$name" "${full:-none}" "$who" >> "$work/unresolved.tsv"
    fi
  done < "$work/requests.tsv"

  local tsv3='[inputs | split("\t") | {request: .[0], modules: (.[1] | split(" ")), requested_by: .[2]}]'
  local verify_exit=null
  [ -f "$g/verify.exit" ] && verify_exit=$(cat "$g/verify.exit")
  local root_initrd=false
  grep -q 'Switching root' "$g/journal" "$log" 2>/dev/null && root_initrd=true
  report_set booted true
  report_set stage '"done"'
  report_set root_from_initrd "$root_initrd"
  report_set seconds "$(jq -n --argjson s "$(report_get boot_seconds)" '$s')"
  report_set guest_uptime_seconds "$(cut -d' ' -f1 "$g/uptime" | xargs printf '%.1f')"
  report_set system_state "$(jq -Rn 'input // ""' < "$g/system-state")"
  report_set failed_units "$(jq -Rn '[inputs | select(length > 0) | split(" ")[0]]' < "$g/failed")"
  report_set loaded_modules "$(jq -Rn '[inputs]' < "$work/loaded.txt")"
  report_set loaded_module_count "$(wc -l < "$work/loaded.txt")"
  report_set ground_truth_missing "$(jq -Rn '[inputs]' < "$work/ground-truth-missing.txt")"
  report_set load_failures "$(jq -Rn "$tsv3" < "$work/failures.tsv")"
  report_set declined "$(jq -Rn "$tsv3" < "$work/declined.tsv")"
  report_set not_modules "$(jq -Rn "$tsv3" < "$work/unresolved.tsv")"
  report_set requested_by_name "$(grep -v $'\tudev (device' "$work/satisfied.tsv" | jq -Rn "$tsv3")"
  report_set verify_exit "$verify_exit"
  report_set kernels_after_boot "$(jq -Rn '[inputs | select(length > 0)]' < "$g/kernels" 2>/dev/null || echo null)"
  report_set installed_mb "$(jq '.install.installed_mb // null' "$work/report.json")"
  cp "$g/verify.txt" "$out/verify.txt" 2>/dev/null
  write_report

  local ok=1
  [ "$root_initrd" = true ] || ok=0
  [ -s "$work/ground-truth-missing.txt" ] && ok=0
  [ -s "$work/failures.tsv" ] && ok=0
  [ "$verify_exit" = 0 ] || ok=0
  jq -r '"boot-test: \(.profile): booted in \(.seconds) s (harness \(.harness_seconds) s), root from initrd: \(.root_from_initrd), \(.loaded_module_count) modules loaded",
         "  installed (kernel side): \(.install.installed_mb // "?") MB of \(.install.whole_kernel_mb // "?") MB (\(.install.installed_share // "?") %), \(.install.kmps // "?") KMPs; initrd \(.install.initrd_mb // "?") MB, \(.install.initrd_modules // "?") modules",
         "  ground truth missing: \(.ground_truth_missing | if length == 0 then "none" else join(" ") end)",
         "  load failures: \(.load_failures | if length == 0 then "none" else map(.request + " (" + .requested_by + ")") | join(", ") end)",
         "  declined (installed, not driving the device): \(.declined | map(.modules | join(" ")) | unique | join(", ") | if . == "" then "none" else . end)",
         "  kmpkit verify: exit \(.verify_exit)", "  report: '"$out"'/report.json"' "$out/report.json" >&2
  [ $ok = 1 ] && exit 0
  exit 1
}

report_get() { jq -c --arg k "$1" '.[$k] // null' "$work/report.json"; }

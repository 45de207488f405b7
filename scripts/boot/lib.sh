# kmpkit boot harness: the steps of scripts/boot-test.sh (sourced; uses its variables).
# shellcheck shell=bash

note() { echo "boot-test: $*" >&2; }

# The report so far: one JSON object merged step by step ($work/report.json), written to
# $out/report.json at the end or when a step fails.
report_set() {  # report_set KEY JSON-VALUE
  local f=$work/report.json
  [ -f "$f" ] || echo '{}' > "$f"
  jq --arg k "$1" --argjson v "$2" '.[$k] = $v' "$f" > "$f.tmp" && mv "$f.tmp" "$f"
}
write_report() {
  report_set profile "$(jq -n --arg p "$profile" '$p')"
  report_set harness_seconds "$(( $(date +%s) - t_start ))"
  cp "$work/report.json" "$out/report.json"
}

# fail CODE MESSAGE: the report says where it stopped; exit 3 for a missing prerequisite, 5 for a
# step before the boot that failed, 4 when the machine did not boot.
fail() {
  local code=$1; shift
  note "$stage: $*"
  [ -d "$work" ] || mkdir -p "$work"
  report_set booted false
  report_set stage "$(jq -n --arg s "$stage" '$s')"
  report_set error "$(jq -n --arg e "$*" '$e')"
  write_report
  cleanup_root
  case $code in 3) exit 3 ;; 4) exit 4 ;; *) exit 5 ;; esac
}

cleanup_root() { [ "${keep:-0}" = 1 ] || [ -z "${root:-}" ] || rm -rf "$root"; }

# The kmpkit binary: $KMPKIT_BINARY when set (the test suite's), else ./build's, built when missing
# or older than its sources (only the kmpkit target).
build_kmpkit() {
  if [ -n "${KMPKIT_BINARY:-}" ]; then
    [ -x "$KMPKIT_BINARY" ] || return 1
    echo "$KMPKIT_BINARY"
    return 0
  fi
  local bin=$src/build/src/kmpkit
  if [ ! -x "$bin" ] || [ -n "$(find "$src/src" "$src/CMakeLists.txt" -newer "$bin" -print -quit)" ]; then
    note "building kmpkit"
    { [ -f "$src/build/build.ninja" ] || cmake -S "$src" -B "$src/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo; } \
      > "$work/build.log" 2>&1 || return 1
    cmake --build "$src/build" --target kmpkit kmpkit-depgen >> "$work/build.log" 2>&1 || return 1
  fi
  echo "$bin"
}

kernel_package_name() {  # the package that provides kernel-uname-r = KVER
  local f
  f=$(find "$1" -name 'kernel-*.rpm' ! -name '*-kmp-*' | head -1)
  [ -n "$f" ] && rpm -qp --qf '%{NAME}\n' "$f" 2>/dev/null
}

# The Debian 12 userspace: a tarball made by mmdebstrap, cached by its package list.
userspace_packages=systemd-sysv,udev,kmod,dracut-core,e2fsprogs,zypper,libkmod2,libfmt9,libsolvext1,procps,less
make_userspace() {
  local key tarball
  key=$(echo "bookworm $userspace_packages" | sha256sum | cut -c1-12)
  tarball=$cache/boot/userspace-$key.tar
  if [ ! -f "$tarball" ]; then
    note "making the Debian 12 userspace with mmdebstrap (about 2 minutes)"
    mkdir -p "$cache/boot"
    # mmdebstrap picks the output format by the name: keep ".tar" at the end.
    mmdebstrap --variant=minbase --include="$userspace_packages" bookworm "$tarball.part.tar" > "$work/mmdebstrap.log" 2>&1 \
      || { rm -rf "$tarball.part.tar"; return 1; }
    mv "$tarball.part.tar" "$tarball"
  fi
  echo "$tarball"
}

# What the harness adds to the image: the report service, the modprobe logger, the fstab, and
# what an installer writes before installing packages (the root's file system for libzypp).
prepare_root() {
  local r=$1
  install -m 0755 "$boot/report-collector" "$r/usr/local/sbin/kmpkit-boot-report"
  install -m 0644 "$boot/kmpkit-boot-report.service" "$r/etc/systemd/system/kmpkit-boot-report.service"
  mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
  ln -sf /etc/systemd/system/kmpkit-boot-report.service "$r/etc/systemd/system/multi-user.target.wants/"
  [ -n "$hook" ] && install -m 0755 "$hook" "$r/usr/local/sbin/kmpkit-boot-hook"
  # modprobe logs every request to the kernel log, then runs kmod as "modprobe" (kmod picks the
  # tool by its name); dracut copies both into the initrd.
  if [ ! -e "$r/usr/lib/kmpkit-harness/modprobe" ]; then
    mkdir -p "$r/usr/lib/kmpkit-harness"
    ln -s /usr/bin/kmod "$r/usr/lib/kmpkit-harness/modprobe"
    rm -f "$r/usr/sbin/modprobe"
    install -m 0755 "$boot/modprobe-logger" "$r/usr/sbin/modprobe"
  fi
  mkdir -p "$r/etc/dracut.conf.d"
  echo 'install_items+=" /usr/lib/kmpkit-harness/modprobe /usr/bin/kmod "' > "$r/etc/dracut.conf.d/90-kmpkit-harness.conf"
  echo 'LABEL=kmpkit-root / ext4 defaults 0 1' > "$r/etc/fstab"
  echo "kmpkit-$profile" > "$r/etc/hostname"
  chroot "$r" passwd -d root > /dev/null 2>&1
  mkdir -p "$r/etc/sysconfig" "$r/var/lib/rpm" "$r/etc/rpm"
  # Debian's rpm keeps its database in ~/.rpmdb; zypper uses /var/lib/rpm: one database for both.
  echo '%_dbpath /var/lib/rpm' > "$r/etc/rpm/macros.dbpath"
  # The file systems the system uses, for libzypp's filesystem() supplements (as YaST writes it).
  echo 'USED_FS_LIST="ext4"' > "$r/etc/sysconfig/storage"
  # The profile's devices as a sysfs-like tree for zypper (ZYPP_MODALIAS_SYSFS).
  local hw=$r/run/kmpkit-hw p v
  while IFS=$'\t' read -r p v; do
    [ -n "$p" ] || continue
    mkdir -p "$hw$(dirname "$p")" && printf '%s\n' "$v" > "$hw$p"
  done < "$profile_dir/modalias.tsv"
  # rpm does not see dpkg's files: declare /bin/sh for the scriptlets.
  rpmbuild -bb --define "_topdir $work/rpmbuild" "$boot/system-base.spec" > "$work/system-base.log" 2>&1 \
    && rpm --root "$r" --dbpath /var/lib/rpm -i "$work"/rpmbuild/RPMS/noarch/kmpkit-dpkg-base-*.rpm >> "$work/system-base.log" 2>&1
}

# zypper inside the root, in a private mount namespace (/proc, /sys, /dev for dracut; the
# repository bind-mounted read-only at /mnt/kmpkit-repo, where it stays configured).
in_root() {  # in_root ROOT COMMAND... (run chrooted with the mounts)
  local r=$1; shift
  KMPKIT_UPDATE_REPOS="${update_repos[*]}" unshare -m --propagation private bash -c '
    r=$1; repo=$2; shift 2
    mount -t proc proc "$r/proc" && mount --rbind /sys "$r/sys" && mount --rbind /dev "$r/dev" || exit 90
    if [ -n "$repo" ]; then
      mkdir -p "$r/mnt/kmpkit-repo" && mount --bind "$repo" "$r/mnt/kmpkit-repo" \
        && mount -o remount,bind,ro "$r/mnt/kmpkit-repo" || exit 91
    fi
    i=0
    for u in $KMPKIT_UPDATE_REPOS; do
      i=$((i + 1))
      mkdir -p "$r/mnt/kmpkit-update-$i" && mount --bind "$u" "$r/mnt/kmpkit-update-$i" \
        && mount -o remount,bind,ro "$r/mnt/kmpkit-update-$i" || exit 92
    done
    exec chroot "$r" "$@"' in_root "$r" "${repo:-}" "$@"
}

# A signed repository (repodata/repomd.xml.asc, what `kmpkit package --gpg-key` makes) is added as
# a distribution's: its key trusted in the root's rpm database and every package's signature
# checked (--gpgcheck-strict), so `kmpkit verify` in the booted system finds the signer trusted.
# An unsigned one is added without checks (-G); zypper never runs with --no-gpg-checks.
add_repo() {  # add_repo ROOT HOST_DIR URL ALIAS LOG
  local r=$1 dir=$2 url=$3 alias=$4 log=$5
  local env=(env PATH=/usr/sbin:/usr/bin:/sbin:/bin)
  if [ -f "$dir/repodata/repomd.xml.asc" ]; then
    rpm --root "$r" --dbpath /var/lib/rpm --import "$dir/repodata/repomd.xml.key" > "$log" 2>&1 || return 1
    in_root "$r" "${env[@]}" zypper -n ar --gpgcheck-strict "$url" "$alias" >> "$log" 2>&1
  else
    in_root "$r" "${env[@]}" zypper -n ar -G "$url" "$alias" > "$log" 2>&1
  fi
}

install_kernel() {
  local r=$1 t0 t1
  local env=(env ZYPP_MODALIAS_SYSFS=/run/kmpkit-hw PATH=/usr/sbin:/usr/bin:/sbin:/bin)
  add_repo "$r" "$repo" file:///mnt/kmpkit-repo kmpkit "$work/zypper-ar.log" || return 1
  t0=$(date +%s.%N)
  # The kernel with what the hardware selects (modalias supplements) and what userspace loads by
  # name (the kernel's recommends); then `zypper inr` adds what supplements the system itself: the
  # root's file system (filesystem() supplements, USED_FS_LIST).
  # shellcheck disable=SC2086
  in_root "$r" "${env[@]}" zypper -n in "$kernel_pkg" $extra > "$work/zypper-install.log" 2>&1 || return 1
  local regen_in
  regen_in=$(grep -c ' made ' "$r/var/log/kmpkit/initrd.log" 2>/dev/null || true)
  in_root "$r" "${env[@]}" zypper -n inr > "$work/zypper-inr.log" 2>&1 || { cat "$work/zypper-inr.log" >> "$work/zypper-install.log"; return 1; }
  # Kernel updates: each repository added, then `zypper up` (the new kernel beside the old one).
  local i=0 u
  for u in "${update_repos[@]}"; do
    i=$((i + 1))
    add_repo "$r" "$u" "file:///mnt/kmpkit-update-$i" "update-$i" "$work/zypper-ar-update-$i.log" || return 1
    in_root "$r" "${env[@]}" zypper -n up > "$work/zypper-up-$i.log" 2>&1 \
      || { cat "$work/zypper-up-$i.log" >> "$work/zypper-install.log"; return 1; }
  done
  t1=$(date +%s.%N)
  rm -rf "$r/run/kmpkit-hw"
  local q=(rpm --root "$r" --dbpath /var/lib/rpm)
  local kpkgs kernel_bytes all_bytes regen initrd_json
  kpkgs=$("${q[@]}" -qa --qf '%{NAME} %{SIZE}\n' | awk -v k="$kernel_pkg" '$1 == k || $1 ~ /-kmp-/')
  kernel_bytes=$(echo "$kpkgs" | awk '{s += $2} END {print s + 0}')
  all_bytes=$("${q[@]}" -qa --qf '%{SIZE}\n' | awk '{s += $1} END {print s + 0}')
  regen=$(grep -c ' made ' "$r/var/log/kmpkit/initrd.log" 2>/dev/null || true)
  initrd_json=$(cat "$r/var/lib/kmpkit/initrd/$kver.json" 2>/dev/null || echo '{}')
  jq -n --arg kver "$kver" --arg pkg "$kernel_pkg" --argjson kb "$kernel_bytes" --argjson ab "$all_bytes" \
     --argjson n "$(echo "$kpkgs" | grep -c . || true)" --argjson kmps "$(echo "$kpkgs" | grep -c -- '-kmp-' || true)" \
     --argjson secs "$(echo "$t1 - $t0" | bc -l | xargs printf '%.1f')" --argjson regen "${regen:-0}" \
     --argjson regen_in "${regen_in:-0}" --arg inr "$(grep -oE '[0-9]+ new packages? to install' "$work/zypper-inr.log" | head -1)" \
     --argjson initrd "$initrd_json" --argjson initrd_bytes "$(stat -c %s "$r/boot/initrd-$kver" 2>/dev/null || echo 0)" \
     --argjson full "$(whole_kernel_bytes)" '{
       kver: $kver, kernel_package: $pkg, kernel_side_packages: $n, kmps: $kmps,
       installed_mb: (($kb / 1e6 * 10 | round) / 10), installed_bytes: $kb,
       whole_kernel_mb: (($full / 1e6 * 10 | round) / 10),
       installed_share: (($kb / $full * 1000 | round) / 10),
       all_packages_mb: (($ab / 1e6 * 10 | round) / 10), zypper_seconds: $secs,
       initrd_regenerations: $regen, initrd_regenerations_kernel_install: $regen_in, inr: $inr, initrd_mb: (($initrd_bytes / 1e6 * 10 | round) / 10),
       initrd_modules: ($initrd.modules // [] | length), initrd_dracut_modules: ($initrd.dracut_modules // [])}' \
     > "$work/install.json"
  report_set install "$(cat "$work/install.json")"
  "${q[@]}" -qa --qf '%{NAME}\n' | grep -vx gpg-pubkey | sort > "$out/installed-packages.txt"  # the trusted key is no package
  # Each kernel's installed module database, for judging the boot's requests (modprobe -d).
  rm -rf "$out/installed-db"
  local k
  for k in $(ls "$r/lib/modules"); do
    [ -f "$r/lib/modules/$k/modules.dep" ] || continue
    mkdir -p "$out/installed-db/lib/modules/$k" && cp -p "$r/lib/modules/$k"/modules.* "$out/installed-db/lib/modules/$k/"
  done
}

# How often the initrd is made as KMPs come and go, one zypper transaction each, on a copy of the
# installed root: 10 KMPs the initrd does not take (goal 0), 10 with one file system among them
# (dracut takes kernel/fs/: goal 1), the removal of that one (1), of one the initrd does not hold (0).
initrd_scenario() {
  local r=$1 copy=$work/scenario-root
  rm -rf "$copy"; cp -a "$r" "$copy" || return 1
  mkdir -p "$copy/run/kmpkit-hw"  # no devices: only what is asked for by name
  local env=(env ZYPP_MODALIAS_SYSFS=/run/kmpkit-hw PATH=/usr/sbin:/usr/bin:/sbin:/bin)
  local -a steps=(
    "in e1000e-kmp-$flavor igb-kmp-$flavor ixgbe-kmp-$flavor r8169-kmp-$flavor tg3-kmp-$flavor bnx2-kmp-$flavor e100-kmp-$flavor 8139too-kmp-$flavor snd_hda_intel-kmp-$flavor snd_ens1371-kmp-$flavor"
    "in atlantic-kmp-$flavor bnxt_en-kmp-$flavor i40e-kmp-$flavor ice-kmp-$flavor sfc-kmp-$flavor mlx4_en-kmp-$flavor qede-kmp-$flavor vmxnet3-kmp-$flavor snd_intel8x0-kmp-$flavor xfs-kmp-$flavor"
    "rm xfs-kmp-$flavor"
    "rm e1000e-kmp-$flavor"
  )
  local -a expected=(0 1 1 0)
  local json='[]' i before after n
  for i in "${!steps[@]}"; do
    before=$(grep -c ' made ' "$copy/var/log/kmpkit/initrd.log" 2>/dev/null || true)
    # shellcheck disable=SC2086
    in_root "$copy" "${env[@]}" zypper -n ${steps[$i]} > "$work/scenario-$i.log" 2>&1 || { json=null; break; }
    after=$(grep -c ' made ' "$copy/var/log/kmpkit/initrd.log" 2>/dev/null || true)
    n=$(grep -cE '^\([0-9]+/[0-9]+\) (Installing|Removing)' "$work/scenario-$i.log" || true)
    json=$(jq --arg s "zypper ${steps[$i]}" --argjson pk "$n" --argjson regen "$((after - before))" --argjson want "${expected[$i]}" \
      '. + [{transaction: $s, packages: $pk, initrd_regenerations: $regen, goal: $want}]' <<< "$json")
  done
  report_set initrd_scenario "$json"
  rm -rf "$copy"
}

# The whole kernel: every module file plus what the kernel package holds (image, maps, symvers).
whole_kernel_bytes() {
  local md=$kroot/lib/modules/$kver
  { find "$md/kernel" -name '*.ko*' -printf '%s\n'; stat -c %s "$kroot/boot/vmlinuz-$kver" "$kroot/boot/System.map-$kver" \
      "$kroot/boot/config-$kver" "$md/modules.builtin" "$md/modules.builtin.modinfo" "$md/modules.order" 2>/dev/null; } \
    | awk '{s += $1} END {print s + 0}'
}

make_disk() {
  local r=$1 used size
  # Every installed kernel's image and initrd (the boot picks one: --boot-kernel).
  local k found=0
  rm -f "$out"/vmlinuz-* "$out"/initrd-*
  for k in $(ls "$r/lib/modules"); do
    [ -e "$r/lib/modules/$k/vmlinuz" ] || continue
    cp -L "$r/lib/modules/$k/vmlinuz" "$out/vmlinuz-$k" && cp "$r/boot/initrd-$k" "$out/initrd-$k" \
      || { echo "no initrd for $k in the root (see $work/zypper-install.log)" > "$work/mkfs.log"; return 1; }
    found=1
  done
  [ $found = 1 ] || { echo "no kernel in the root (see $work/zypper-install.log)" > "$work/mkfs.log"; return 1; }
  cp "$work/install.json" "$out/install.json"
  used=$(du -sbx "$r" | cut -f1)
  size=$(( (used * 13 / 10 / 1048576 + 512) ))
  rm -f "$out/disk.img"
  truncate -s "${size}M" "$out/disk.img" && mkfs.ext4 -q -L kmpkit-root -d "$r" "$out/disk.img" > "$work/mkfs.log" 2>&1 || return 1
  cleanup_root
}

# The profile's machine with our disk as its first drive; TCG; serial console on stdout.
qemu_machine_args() {
  local first=1 prev= t f
  for t in $(cat "$profile_dir/qemu-args.txt"); do
    if [ "$prev" = -drive ] && [ $first = 1 ]; then
      first=0
      t=$(echo "$t" | sed -E "s#(^|,)file=[^,]*#\1file=$out/disk.img#; s#(^|,)readonly(=[a-z]+)?##g")
    elif [ "$prev" = -drive ]; then
      # Another disk of the machine: an empty one (256 MiB, sparse) in the output folder.
      f=$(echo "$t" | sed -nE 's#(^|.*,)file=([^,]*).*#\2#p')
      if [ -n "$f" ]; then
        [ -f "$out/$(basename "$f")" ] || truncate -s 256M "$out/$(basename "$f")"
        t=$(echo "$t" | sed -E "s#(^|,)file=[^,]*#\1file=$out/$(basename "$f")#")
      fi
    fi
    printf '%s\n' "$t"
    prev=$t
  done
  if [ -n "${media:-}" ]; then
    printf '%s\n' -drive "if=none,id=kmpkit-media,file=$out/media.img,format=raw,readonly=on" \
      -device virtio-blk-pci,drive=kmpkit-media
  fi
}

# --media DIR: a read-only ext4 disk labelled kmpkit-media holding DIR (a local medium).
make_media() {
  local dir=$1 kb
  kb=$(du -sk "$dir" | cut -f1)
  rm -f "$out/media.img"
  mkfs.ext4 -q -F -L kmpkit-media -d "$dir" "$out/media.img" "$(( kb * 12 / 10 + 65536 ))k" > "$work/media.log" 2>&1
}

# What the disk holds after the boot: the initrds and the module database of each kernel (the
# machine may have installed packages), for a later --image-from and its judgement.
save_disk_state() {
  local k f d=$out/after-boot
  rm -rf "$d"; mkdir -p "$d"
  for k in $(ls "$out" | sed -n 's/^vmlinuz-//p'); do
    debugfs -R "dump /boot/initrd-$k $d/initrd-$k" "$out/disk.img" > /dev/null 2>&1
    [ -s "$d/initrd-$k" ] || rm -f "$d/initrd-$k"
    mkdir -p "$d/installed-db/lib/modules/$k"
    for f in modules.dep modules.dep.bin modules.alias modules.alias.bin modules.softdep modules.symbols \
             modules.symbols.bin modules.builtin modules.builtin.bin modules.builtin.alias.bin modules.devname; do
      debugfs -R "dump /lib/modules/$k/$f $d/installed-db/lib/modules/$k/$f" "$out/disk.img" > /dev/null 2>&1
    done
  done
}

boot_qemu() {
  local cmdline log=$out/serial.log cap=$((64 * 1024 * 1024)) t0 state=timeout
  cmdline="root=LABEL=kmpkit-root rw console=ttyS0,115200 panic=10 rd.emergency=poweroff rd.shell=0"
  cmdline+=" trace_event=module:module_request,module:module_load trace_buf_size=2M"
  # Debug logging of systemd and udev (every module they look up) goes to the journal, not the console.
  cmdline+=" systemd.log_level=debug systemd.log_target=journal udev.log_level=debug loglevel=5"
  mapfile -t machine < <(qemu_machine_args)
  # The kernel to boot: --boot-kernel, else the newest installed (sort -V of the releases).
  local kernels boot_kver
  kernels=$(ls "$out" | sed -n 's/^vmlinuz-//p' | sort -V)
  boot_kver=${boot_kernel:-$(echo "$kernels" | tail -1)}
  [ "$boot_kver" = oldest ] && boot_kver=$(echo "$kernels" | head -1)
  [ -f "$out/vmlinuz-$boot_kver" ] || fail 3 "no kernel $boot_kver in the image (it has: $(echo $kernels))"
  report_set booted_kernel "$(jq -n --arg k "$boot_kver" '$k')"
  report_set installed_kernels "$(echo "$kernels" | jq -Rn '[inputs | select(length > 0)]')"
  kver=$boot_kver
  note "booting $profile with $boot_kver (TCG, up to $timeout_s s)"
  t0=$(date +%s)
  # The console on stdout (capped); the report on a second serial port (ttyS1) that only the
  # report collector writes to, so no kernel or systemd message can interleave with it.
  rm -f "$out/report.serial"
  ( timeout -k 10 "$timeout_s" qemu-system-x86_64 -accel tcg -cpu max -m 1024 -nographic -no-reboot -net none \
      -serial mon:stdio -serial "file:$out/report.serial" -kernel "$out/vmlinuz-$boot_kver" -initrd "$out/initrd-$boot_kver" -append "$cmdline" "${machine[@]}" < /dev/null 2>&1 \
      | head -c "$cap" > "$log"; echo "${PIPESTATUS[0]}" > "$work/qemu.rc" ) &
  local pid=$! waited=0 seen_end=
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2; waited=$((waited + 2))
    if [ -z "$seen_end" ] && grep -q '^KMPKIT-REPORT-END' "$out/report.serial" 2>/dev/null; then
      seen_end=$(( $(date +%s) - t0 )); state=reported
    fi
    if [ -z "$seen_end" ] && grep -qE 'Kernel panic - not syncing|You are in emergency mode|Entering emergency mode|dracut: FATAL' "$log" 2>/dev/null; then
      state=failed; sleep 5; pkill -f "$out/disk.img" 2>/dev/null; break
    fi
  done
  wait "$pid" 2>/dev/null
  report_set boot_seconds "${seen_end:-null}"
  report_set serial_log "$(jq -n --arg l "$log" '$l')"
  if [ "$state" != reported ]; then
    local why
    why=$(grep -m1 -oE 'Kernel panic - not syncing.*|You are in emergency mode.*|Entering emergency mode.*|dracut: FATAL.*|Failed to mount.*|Timed out waiting for device.*' "$log" | tr -d '\r')
    [ -n "$why" ] || why=$([ "$state" = timeout ] && echo "no report within $timeout_s s" || echo "the machine stopped without a report")
    report_set root_from_initrd "$(grep -q 'Switching root' "$log" && echo true || echo false)"
    fail 4 "the machine did not boot: $why (serial console: $log)"
  fi
}

analyze_boot() {
  source "$boot/analyze.sh"
  analyze "$out/report.serial" "$work/guest"
}

// kmpkit initrd: the decision when an initrd must be made again (dracut's rules read from its
// module-setup.sh, lsinitrd's listing, module changes) and the command's behaviour in roots
// without dracut. The real dracut runs in the boot test (scripts/boot-test.sh, slow label).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "initrd/initrd_check.hpp"
#include "initrd/initrd_firmware.hpp"
#include "initrd/initrd_update.hpp"
#include "initrd/weak_update_drivers.hpp"
#include "oracles.hpp"
#include "test_env.hpp"

namespace fs = std::filesystem;
using namespace kmpkit;
using namespace kmpkit::initrd;
using namespace kmpkit::test;

namespace {

// The parts of dracut 059's 90kernel-modules/module-setup.sh that matter (continuations, a symbol
// filter, =dirs, names, options with arguments, a pipe into instmods).
const char* kModuleSetup = R"(installkernel() {
    local _blockfuncs='ahci_platform_get_resources|ata_scsi_ioctl|scsi_add_host|blk_mq_alloc_disk'
    install_block_modules() {
        instmods \
            scsi_dh_rdac scsi_dh_emc \
            =drivers/usb/storage \
            =ide nvme vmd \
            virtio_blk virtio_scsi

        dracut_instmods -o -s "${_blockfuncs}" "=drivers"
    }
    if [[ -z $drivers ]]; then
        hostonly='' instmods \
            hid_generic unix
        hostonly=$(optional_hostonly) instmods \
            ehci-hcd xhci-pci \
            "=drivers/hid" \
            "=drivers/tty/serial"
        awk -F: '/^\// {print $1}' "$srcmods/modules.dep" 2> /dev/null | instmods
        if [[ -z $filesystems ]]; then
            dracut_instmods -o -P ".*/(kernel/fs/nfs|kernel/fs/nfsd|kernel/fs/lockd)/.*" '=fs'
        fi
        hostonly='' instmods "=crypto"
        instmods "=arch/$arch/crypto" "=drivers/crypto"
    fi
}
)";

}  // namespace

TEST(DracutRules, ReadsInstmodsLinesOfModuleSetup) {
  DracutRules r;
  parse_module_setup(kModuleSetup, r);
  EXPECT_EQ(r.block_symbols, "ahci_platform_get_resources|ata_scsi_ioctl|scsi_add_host|blk_mq_alloc_disk");
  for (const char* n : {"scsi_dh_rdac", "nvme", "vmd", "virtio_blk", "virtio_scsi", "hid_generic", "unix", "ehci_hcd", "xhci_pci"})
    EXPECT_TRUE(r.names.count(n)) << n;
  EXPECT_FALSE(r.names.count("o"));
  for (const char* d : {"drivers/usb/storage", "ide", "drivers/hid", "drivers/tty/serial", "fs", "crypto",
                        "drivers/crypto"})
    EXPECT_NE(std::find(r.dirs.begin(), r.dirs.end(), d), r.dirs.end()) << d;
  // "=drivers" is taken only through the symbol filter (dracut_instmods -s "${_blockfuncs}").
  EXPECT_EQ(std::find(r.dirs.begin(), r.dirs.end(), "drivers"), r.dirs.end());
  EXPECT_EQ(r.symbol_dirs, std::vector<std::string>{"drivers"});
  // "=arch/$arch/crypto" has an expansion kmpkit cannot evaluate: skipped, not guessed.
  for (const auto& d : r.dirs) EXPECT_EQ(d.find('$'), std::string::npos) << d;
}

TEST(DracutRules, WouldTakeByNameDirAndBlockSymbols) {
  DracutRules r;
  r.names = {"virtio_blk"};
  r.dirs = {"fs", "drivers/usb/storage"};
  r.block_symbols = "scsi_add_host|blk_mq_alloc_disk";
  r.symbol_dirs = {"drivers"};
  r.configured = {"e1000e"};
  EXPECT_NE(would_take(r, "virtio_blk", "kernel/drivers/block/virtio_blk.ko", {}), "");
  EXPECT_NE(would_take(r, "xfs", "kernel/fs/xfs/xfs.ko", {}), "");
  EXPECT_NE(would_take(r, "uas", "kernel/drivers/usb/storage/uas.ko", {}), "");
  EXPECT_NE(would_take(r, "ahci", "kernel/drivers/ata/ahci.ko", {"printk", "scsi_add_host"}), "");
  EXPECT_NE(would_take(r, "e1000e", "kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko", {}), "");
  EXPECT_EQ(would_take(r, "snd_hda_intel", "kernel/sound/pci/hda/snd-hda-intel.ko", {"printk"}), "");
  EXPECT_EQ(would_take(r, "virtio_net", "kernel/drivers/net/virtio_net.ko", {"napi_enable"}), "");
  // The symbol filter applies to drivers only (dracut: "=drivers"); "fsfoo" is not under "fs/".
  EXPECT_EQ(would_take(r, "x", "kernel/net/x.ko", {"scsi_add_host"}), "");
  EXPECT_EQ(would_take(r, "fsfoo", "kernel/fsfoo/fsfoo.ko", {}), "");
}

TEST(DracutRules, ConfiguredDriversFromDracutConf) {
  std::string root = temp_dir("kmpkit-dracut-conf");
  write_text(root + "/etc/dracut.conf.d/10-x.conf", "add_drivers+=\" nvme e1000e \"\n# force_drivers+=\"ignored\"\n");
  write_text(root + "/usr/lib/dracut/dracut.conf.d/01-dist.conf", "force_drivers+=\"dm-crypt\"\nhostonly=\"no\"\n");
  write_text(root + "/etc/dracut.conf", "filesystems+=\"xfs\"\n");
  EXPECT_EQ(configured_drivers(root), (std::set<std::string>{"nvme", "e1000e", "dm_crypt", "xfs"}));
}

// Found by fuzz_system_files (2026-11-30; seed crash-record-float-out-of-range): a record with a
// floating-point number out of int64's range where a size or time goes made nlohmann's get<>()
// cast it (undefined behaviour, UBSan: "1.79571e+30 is outside the range of representable
// values of type 'long'"). Such a record is damaged: none, and the initrd is made again.
TEST(InitrdRecord, ANumberThatIsNoIntegerInRangeIsADamagedRecord) {
  const std::string good =
      R"({"format": 1, "image": "/boot/initrd-6.1.0-57-amd64", "image_size": 14619019, "image_mtime_ns": 17960128599,)"
      R"( "modules": ["ext4"], "dracut_modules": ["base"], "installed": [["ext4", "kernel/fs/ext4/ext4.ko", 10, 20]]})";
  ASSERT_TRUE(parse_record(good).has_value());
  EXPECT_EQ(parse_record(good)->image_size, 14619019u);
  for (const char* bad : {"1.79571e+30", "-1", "1.5", "18446744073709551616"}) {
    std::string text = good;
    text.replace(text.find("14619019"), 8, bad);
    EXPECT_FALSE(parse_record(text).has_value()) << bad;
  }
  std::string mtime = good;
  mtime.replace(mtime.find("17960128599"), 11, "1e300");
  EXPECT_FALSE(parse_record(mtime).has_value());
  std::string installed = good;
  installed.replace(installed.find("10, 20"), 6, "10, 2e40");
  EXPECT_FALSE(parse_record(installed).has_value());
}

TEST(InitrdContents, ParsesLsinitrd) {
  auto c = parse_lsinitrd(
      "Image: /boot/initrd-6.1.0-57-amd64: 13M\n========\nVersion: \n\nArguments:  --no-hostonly\n\n"
      "dracut modules:\nsystemd\nkernel-modules\nqemu\n========================================================================\n"
      "drwxr-xr-x  12 root root 0 Nov 29 09:00 .\n"
      "-rw-r--r--   1 root root 23121 Nov 26 17:12 usr/lib/modules/6.1.0-57-amd64/kernel/fs/ext4/ext4.ko\n"
      "-rw-r--r--   1 root root 2312 Nov 26 17:12 usr/lib/modules/6.1.0-57-amd64/kernel/drivers/block/virtio-blk.ko.zst\n"
      "-rw-r--r--   1 root root 2312 Nov 26 17:12 usr/lib/modules/6.1.0-57-amd64/modules.dep\n");
  EXPECT_EQ(c.dracut_modules, (std::vector<std::string>{"systemd", "kernel-modules", "qemu"}));
  EXPECT_EQ(c.modules, (std::vector<std::string>{"ext4", "virtio_blk"}));
}

TEST(InitrdCheck, OnlyChangesTheInitrdHoldsOrDracutWouldTakeCount) {
  std::vector<ModuleFile> before = {{"e1000e", "kernel/drivers/net/e1000e.ko", 20, 1},
                                    {"ext4", "kernel/fs/ext4/ext4.ko", 10, 1},
                                    {"virtio_blk", "kernel/drivers/block/virtio_blk.ko", 30, 1}};
  std::vector<ModuleFile> now = {{"ahci", "kernel/drivers/ata/ahci.ko", 5, 1},
                                 {"e1000e", "kernel/drivers/net/e1000e.ko", 20, 1},
                                 {"ext4", "kernel/fs/ext4/ext4.ko", 11, 2},
                                 {"snd", "kernel/sound/snd.ko", 5, 1}};
  auto changes = module_changes(before, now);
  ASSERT_EQ(changes.size(), 4u);  // ahci added, ext4 changed, snd added, virtio_blk removed
  InitrdRecord record;
  record.modules = {"ext4", "virtio_blk"};
  DracutRules rules;
  rules.block_symbols = "ata_scsi_ioctl";
  rules.symbol_dirs = {"drivers"};
  auto reasons = relevant_changes(changes, record, rules, [](const ModuleChange& c) {
    return c.name == "ahci" ? std::vector<std::string>{"ata_scsi_ioctl"} : std::vector<std::string>{};
  });
  ASSERT_EQ(reasons.size(), 3u);
  EXPECT_NE(reasons[0].find("ahci: added"), std::string::npos);
  EXPECT_NE(reasons[1].find("ext4: replaced"), std::string::npos);
  EXPECT_NE(reasons[2].find("virtio_blk: removed"), std::string::npos);
  // A network driver and a sound driver alone change nothing.
  auto none = relevant_changes(module_changes(before, {before[0], before[1], {"snd", "kernel/sound/snd.ko", 5, 1},
                                                       before[2]}),
                               record, rules, [](const ModuleChange&) { return std::vector<std::string>{}; });
  EXPECT_TRUE(none.empty());
}

// A kernel update that kept the KABI: kernel B has its modules only through weak-updates links into
// kernel A's tree. dracut's rules take modules by their place under B's kernel/ (none there), so
// kmpkit names the linked modules that A's initrd holds (or dracut's rules would take at their
// place in A's tree): the root file system's driver reaches B's initrd.
TEST(InitrdUpdate, NamesWeakUpdatesModulesDracutWouldTakeInTheirOwnTree) {
  std::string root = temp_dir("kmpkit-initrd-weak");
  const std::string a = "6.1.0-1-test", b = "6.1.0-2-test";
  const std::string ma = root + "/lib/modules/" + a, mb = root + "/lib/modules/" + b;
  fs::create_directories(ma + "/kernel/fs/kmpt");
  fs::create_directories(mb + "/weak-updates/kernel/fs/kmpt");
  write_text(ma + "/vmlinuz", "image");
  write_text(mb + "/vmlinuz", "image");
  for (auto name : {"kmpt_core.ko", "kmpt_leaf.ko"}) {
    fs::copy_file(test_modules_dir() + "/plain/" + name, ma + "/kernel/fs/kmpt/" + name);
    // Absolute targets, as weak-updates writes them: resolved inside the root, not on the host.
    fs::create_symlink("/lib/modules/" + a + "/kernel/fs/kmpt/" + name, mb + "/weak-updates/kernel/fs/kmpt/" + name);
  }
  write_text(ma + "/modules.dep", "kernel/fs/kmpt/kmpt_core.ko:\nkernel/fs/kmpt/kmpt_leaf.ko:\n");
  write_text(mb + "/modules.dep", "weak-updates/kernel/fs/kmpt/kmpt_core.ko:\nweak-updates/kernel/fs/kmpt/kmpt_leaf.ko:\n");
  InitrdPaths pa{root, a}, pb{root, b};
  EXPECT_TRUE(weak_update_drivers(pa).empty()) << "A's modules are its own";
  EXPECT_TRUE(weak_update_drivers(pb).empty()) << "no record, no dracut rules: nothing known to be wanted";
  InitrdRecord record;
  record.image = pa.image();
  record.modules = {"kmpt_core"};
  ASSERT_TRUE(write_record(pa.in_root(pa.record()), record));
  EXPECT_EQ(weak_update_drivers(pb), std::vector<std::string>{"kmpt_core"});
  // dracut's rules at the target's place in A's tree: "=fs" takes kernel/fs/.
  fs::create_directories(root + "/usr/lib/dracut/modules.d/90kernel-modules");
  write_text(root + "/usr/lib/dracut/modules.d/90kernel-modules/module-setup.sh",
             "installkernel() {\n    instmods \"=fs\"\n}\n");
  record.dracut_modules = {"kernel-modules"};
  ASSERT_TRUE(write_record(pa.in_root(pa.record()), record));
  EXPECT_EQ(weak_update_drivers(pb), (std::vector<std::string>{"kmpt_core", "kmpt_leaf"}));
}

TEST(InitrdCheck, ReadsTheTreeAndTheRecord) {
  // A root with a kernel image, two real modules and a modules.dep; the record says the initrd
  // holds kmpt_core. Adding kmpt_leaf (not a storage driver) keeps it; replacing kmpt_core does not.
  std::string root = temp_dir("kmpkit-initrd-root");
  std::string kver = "6.1.0-0-test";
  std::string md = root + "/lib/modules/" + kver;
  fs::create_directories(md + "/extra");
  write_text(md + "/vmlinuz", "image");
  InitrdPaths paths{root, kver};
  auto fresh = check_initrd(paths);
  EXPECT_TRUE(fresh.kernel_installed);
  ASSERT_TRUE(fresh.needs_update());
  EXPECT_NE(fresh.reasons[0].find("no initrd yet"), std::string::npos);

  fs::copy_file(test_modules_dir() + "/plain/kmpt_core.ko", md + "/extra/kmpt_core.ko");
  write_text(md + "/modules.dep", "extra/kmpt_core.ko:\n");
  write_text(root + "/boot/initrd-" + kver, "initrd");
  InitrdRecord record;
  record.image = paths.image();
  auto st = fs::file_size(root + "/boot/initrd-" + kver);
  record.image_size = st;
  struct stat s {};
  ::stat((root + "/boot/initrd-" + kver).c_str(), &s);
  record.image_mtime_ns = static_cast<int64_t>(s.st_mtim.tv_sec) * 1000000000 + s.st_mtim.tv_nsec;
  record.modules = {"kmpt_core"};
  record.installed = installed_modules(paths).value();
  ASSERT_TRUE(write_record(paths.in_root(paths.record()), record));
  EXPECT_FALSE(check_initrd(paths).needs_update());

  fs::copy_file(test_modules_dir() + "/plain/kmpt_leaf.ko", md + "/extra/kmpt_leaf.ko");
  write_text(md + "/modules.dep", "extra/kmpt_core.ko:\nextra/kmpt_leaf.ko: extra/kmpt_core.ko\n");
  auto added = check_initrd(paths);
  EXPECT_EQ(added.changes.size(), 1u);
  EXPECT_FALSE(added.needs_update());

  // A copy of the file (a new inode, same size and mtime, as an image made with mkfs -d) changes
  // nothing; another file in its place does.
  auto mtime = fs::last_write_time(md + "/extra/kmpt_core.ko");
  fs::copy_file(md + "/extra/kmpt_core.ko", md + "/extra/copy.ko");
  fs::last_write_time(md + "/extra/copy.ko", mtime);
  fs::rename(md + "/extra/copy.ko", md + "/extra/kmpt_core.ko");
  EXPECT_FALSE(check_initrd(paths).needs_update());
  fs::copy_file(md + "/extra/kmpt_leaf.ko", md + "/extra/kmpt_core.ko", fs::copy_options::overwrite_existing);
  auto replaced = check_initrd(paths);
  ASSERT_TRUE(replaced.needs_update());
  EXPECT_NE(replaced.reasons[0].find("kmpt_core: replaced"), std::string::npos);

  // Someone else made the initrd: what it holds is unknown, so it is made again.
  write_text(root + "/boot/initrd-" + kver, "another initrd");
  EXPECT_NE(check_initrd(paths).reasons.at(0).find("another tool"), std::string::npos);
}

TEST(InitrdCheck, FirmwareOfTheModulesItHoldsThatCameChangedOrWent) {
  // kmpt_leaf names kmpt/fw-1.bin and kmpt/fw-2.bin; the initrd holds kmpt_leaf. A firmware
  // package installed afterwards (no module changes) means dracut would now copy the file.
  std::string root = temp_dir("kmpkit-initrd-fw");
  std::string kver = "6.1.0-0-test";
  std::string md = root + "/lib/modules/" + kver;
  fs::create_directories(md + "/extra");
  write_text(md + "/vmlinuz", "image");
  fs::copy_file(test_modules_dir() + "/plain/kmpt_leaf.ko", md + "/extra/kmpt_leaf.ko");
  write_text(md + "/modules.dep", "extra/kmpt_leaf.ko:\n");
  write_text(root + "/boot/initrd-" + kver, "initrd");
  InitrdPaths paths{root, kver};
  InitrdRecord record;
  record.image = paths.image();
  struct stat s {};
  ::stat((root + "/boot/initrd-" + kver).c_str(), &s);
  record.image_size = static_cast<uint64_t>(s.st_size);
  record.image_mtime_ns = static_cast<int64_t>(s.st_mtim.tv_sec) * 1000000000 + s.st_mtim.tv_nsec;
  record.modules = {"kmpt_leaf"};
  record.installed = installed_modules(paths).value();
  record.firmware = initrd_firmware(paths, record.modules, record.installed);
  record.has_firmware = true;
  ASSERT_EQ(record.firmware.size(), 2u);
  EXPECT_EQ(record.firmware[0].name, "kmpt/fw-1.bin");
  EXPECT_EQ(record.firmware[0].path, "");
  ASSERT_TRUE(write_record(paths.in_root(paths.record()), record));
  auto back = read_record(paths.in_root(paths.record()));
  ASSERT_TRUE(back && back->has_firmware);
  EXPECT_EQ(back->firmware, record.firmware);
  EXPECT_FALSE(check_initrd(paths).needs_update());

  write_text(root + "/lib/firmware/kmpt/fw-2.bin.xz", "compressed");  // the kernel loads NAME.xz too
  auto came = check_initrd(paths);
  ASSERT_EQ(came.reasons.size(), 1u);
  EXPECT_EQ(came.reasons[0], "kmpt_leaf: firmware kmpt/fw-2.bin came, the initrd holds the module");
  EXPECT_EQ(initrd_firmware(paths, record.modules, record.installed)[1].path, "/lib/firmware/kmpt/fw-2.bin.xz");

  // Firmware of a module the initrd does not hold changes nothing; an old record without the
  // firmware list checks modules only.
  record.modules = {};
  record.firmware = {};
  ASSERT_TRUE(write_record(paths.in_root(paths.record()), record));
  EXPECT_FALSE(check_initrd(paths).needs_update());
  EXPECT_EQ(firmware_changes({{"m", "a.bin", "/lib/firmware/a.bin", 1, 1}}, {{"m", "a.bin", "", 0, 0}}),
            std::vector<std::string>{"m: firmware a.bin went, the initrd holds the module"});
}

TEST(InitrdCommand, WithoutDracutAndUnderZypper) {
  std::string root = temp_dir("kmpkit-initrd-cmd");
  std::string kver = "6.1.0-0-test";
  write_text(root + "/lib/modules/" + kver + "/vmlinuz", "image");
  std::string k = shell_quote(kmpkit_binary());
  // An explicit update needs dracut: exit 3 and what to do.
  auto r = run(k + " initrd update --root " + shell_quote(root) + " " + kver);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("dracut is not installed"), std::string::npos) << r.err;
  // The packages' scripts: a note at most, never a failing scriptlet.
  r = run(k + " initrd trigger -q --root " + shell_quote(root) + " " + kver);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Under zypper an upgrade's removal trigger leaves the work to the %posttrans at the end; an
  // erase (the KMP's %postun left the mark) does it at once.
  r = run("ZYPP_IS_RUNNING=1 " + k + " initrd trigger -q --postun --root " + shell_quote(root) + " " + kver);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  write_text(root + "/var/lib/kmpkit/initrd/erased", "");
  r = run("ZYPP_IS_RUNNING=1 " + k + " initrd trigger --postun --root " + shell_quote(root) + " " + kver);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("dracut is not installed"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(root + "/var/lib/kmpkit/initrd/erased"));
  r = run(k + " initrd status --json --root " + shell_quote(root));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("\"up_to_date\": false"), std::string::npos) << r.out;
}

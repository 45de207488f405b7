#pragma once
// Which kernel modules dracut puts into an initrd, as far as kmpkit needs to know it: the modules
// an administrator names in dracut's configuration (add_drivers, force_drivers, drivers,
// filesystems), and the generic rules of the dracut modules an initrd includes — their `instmods`
// lines: module names, `=dir` trees and the block-function symbol filter (90kernel-modules'
// `_blockfuncs`). Read from the installed dracut, so a newer dracut brings its own rules.
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace kmpkit::initrd {

struct DracutRules {
  std::set<std::string> configured;  // named in dracut.conf(.d): always wanted in the initrd
  std::set<std::string> names;       // installed by name by an included dracut module
  std::vector<std::string> dirs;     // "=drivers/scsi" → "drivers/scsi" (under kernel/): all taken
  std::vector<std::string> symbol_dirs;  // dirs of a symbol-filtered instmods (-s): only modules
                                         // importing a block_symbols match are taken there
  std::string block_symbols;         // regex (90kernel-modules' _blockfuncs)
  std::vector<std::string> sources;  // the files read (for messages)
};

// dracut's configuration lists, from ROOT/etc/dracut.conf, ROOT/etc/dracut.conf.d/*.conf and
// ROOT/usr/lib/dracut/dracut.conf.d/*.conf.
std::set<std::string> configured_drivers(const std::string& root);

// The rules of the given dracut modules (as lsinitrd names them: "kernel-modules", "qemu", ...)
// from ROOT/usr/lib/dracut/modules.d/NN<name>/module-setup.sh, plus the configured drivers.
DracutRules read_dracut_rules(const std::string& root, const std::vector<std::string>& dracut_modules);

// The instmods rules of one module-setup.sh text (exposed for tests).
void parse_module_setup(const std::string& text, DracutRules& rules);

// Why dracut would take a module that is not in the initrd yet ("" = it would not): `path` is
// relative to lib/modules/KVER, `imports` the symbols the module uses.
std::string would_take(const DracutRules& rules, const std::string& name, const std::string& path,
                       const std::vector<std::string>& imports);

}  // namespace kmpkit::initrd

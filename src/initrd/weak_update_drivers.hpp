#pragma once
// The modules a kernel has through weak-updates links (another kernel's KMP build that fits it)
// which dracut would put into its initrd. dracut's generic rules take modules by their place in
// the kernel's own tree (`=fs`, `=drivers/ata`: lib/modules/KVER/kernel/...), which a link under
// weak-updates/ is not: a kernel update that keeps the KABI (its modules all come through such
// links) would get an initrd without the root file system's driver. kmpkit names them to dracut
// (--add-drivers); dracut then installs each link with its target.
#include <string>
#include <vector>

#include "initrd/initrd_record.hpp"

namespace kmpkit::initrd {

// Sorted names: weak-updates modules that the initrd of another installed kernel holds (kmpkit's
// records: what dracut took there), or that dracut's rules would take at the target's place in
// its own tree.
std::vector<std::string> weak_update_drivers(const InitrdPaths& paths);

}  // namespace kmpkit::initrd

#pragma once
// Vermagic compatibility as the kernel decides it (kernel/module/main.c, same_magic()), and the
// subsystem a module belongs to.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "module/module_record.hpp"

namespace kmpkit::kabi {

// The part of a vermagic after the release: "6.1.0-56-amd64 SMP preempt mod_unload modversions "
// gives " SMP preempt mod_unload modversions " (kept byte for byte: the kernel compares it so).
std::string_view vermagic_flags(std::string_view vermagic);
// The same, trimmed, for people: "SMP preempt mod_unload modversions".
std::string vermagic_flags_text(std::string_view vermagic);

// Would the kernel whose own vermagic is `kernel_vermagic` accept a module with `module_vermagic`?
// With modversions (the module has a __versions table) the release is skipped and the rest must be
// equal; without, the whole strings must be equal.
bool vermagic_compatible(std::string_view module_vermagic, std::string_view kernel_vermagic, bool has_versions);

// A kernel's own vermagic, taken from its modules: the most common vermagic among the in-tree
// modules (intree=Y) built for `kver`, else among all modules built for `kver`, else among all
// modules. "" when there are no modules.
std::string kernel_vermagic(const std::vector<ModuleRecord>& modules, std::string_view kver);

// kernel_vermagic, unless no module built for `kver` is among `modules` (they all come from other
// kernels through weak-updates): then the vermagic the kernel's config file gives, when it can.
std::string kernel_vermagic(const std::vector<ModuleRecord>& modules, std::string_view kver,
                            const std::optional<std::string>& config_file);

// The vermagic a kernel gives its modules, derived from its config the way
// include/linux/vermagic.h (6.1) builds it: "KVER SMP preempt mod_unload modversions ". For a kernel
// none of whose own modules is installed (its modules all come from other kernels). "" when the
// config says something this cannot reproduce (another architecture, RANDSTRUCT's seed).
std::string vermagic_from_config(std::string_view config_text, std::string_view kver);

// The subsystem of a module path (relative to lib/modules/KVER): the first component after
// "kernel/", two components for drivers/ and arch/ ("kernel/drivers/net/..." → "drivers/net",
// "kernel/fs/ext4/ext4.ko" → "fs", "kernel/sound/..." → "sound"); outside kernel/ the top
// directory ("updates", "extra", "weak-updates"); "(top)" for a module directly in the tree.
std::string subsystem_of(std::string_view module_path);

// The kernel's license_is_gpl_compatible().
bool license_is_gpl_compatible(std::string_view license);

}  // namespace kmpkit::kabi

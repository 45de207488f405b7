#include "kabi/vermagic.hpp"

#include <map>

#include "module/kernel_files.hpp"

namespace kmpkit::kabi {

std::string_view vermagic_flags(std::string_view vermagic) {
  auto space = vermagic.find(' ');
  if (space == std::string_view::npos) return {};
  return vermagic.substr(space);
}

std::string vermagic_flags_text(std::string_view vermagic) {
  auto flags = vermagic_flags(vermagic);
  while (!flags.empty() && flags.front() == ' ') flags.remove_prefix(1);
  while (!flags.empty() && flags.back() == ' ') flags.remove_suffix(1);
  return std::string(flags);
}

bool vermagic_compatible(std::string_view module_vermagic, std::string_view kernel_vermagic, bool has_versions) {
  if (has_versions) return vermagic_flags(module_vermagic) == vermagic_flags(kernel_vermagic);
  return module_vermagic == kernel_vermagic;
}

std::string kernel_vermagic(const std::vector<ModuleRecord>& modules, std::string_view kver) {
  // Three tiers, most trusted first; the first tier with any vote decides.
  std::map<std::string, size_t> votes[3];
  for (const auto& m : modules) {
    std::string vm = m.vermagic();
    if (vm.empty()) continue;
    bool same_release = release_from_vermagic(vm) == kver;
    if (same_release && m.first("intree").value_or("") == "Y") votes[0][vm]++;
    if (same_release) votes[1][vm]++;
    votes[2][vm]++;
  }
  for (const auto& tier : votes) {
    const std::string* best = nullptr;
    size_t n = 0;
    for (const auto& [vm, count] : tier)
      if (count > n) best = &vm, n = count;
    if (best) return *best;
  }
  return {};
}

std::string kernel_vermagic(const std::vector<ModuleRecord>& modules, std::string_view kver,
                            const std::optional<std::string>& config_file) {
  std::string v = kernel_vermagic(modules, kver);
  if ((v.empty() || release_from_vermagic(v) != kver) && config_file)
    if (auto text = read_file(*config_file))
      if (auto from_config = vermagic_from_config(*text, kver); !from_config.empty()) v = from_config;
  return v;
}

std::string vermagic_from_config(std::string_view config, std::string_view kver) {
  auto enabled = [&](std::string_view option) {
    std::string line = std::string(option) + "=y";
    for (size_t pos = 0; (pos = config.find(line, pos)) != std::string_view::npos; pos += line.size()) {
      bool starts_line = pos == 0 || config[pos - 1] == '\n';
      bool ends_line = pos + line.size() == config.size() || config[pos + line.size()] == '\n';
      if (starts_line && ends_line) return true;
    }
    return false;
  };
  // Only x86_64 adds nothing of its own (MODULE_ARCH_VERMAGIC is empty there).
  if (!enabled("CONFIG_X86_64") || enabled("CONFIG_RANDSTRUCT_FULL") || enabled("CONFIG_RANDSTRUCT_PERFORMANCE"))
    return {};
  std::string v = std::string(kver) + " ";
  if (enabled("CONFIG_SMP")) v += "SMP ";
  if (enabled("CONFIG_PREEMPT_BUILD")) v += "preempt ";
  else if (enabled("CONFIG_PREEMPT_RT")) v += "preempt_rt ";
  if (enabled("CONFIG_MODULE_UNLOAD")) v += "mod_unload ";
  if (enabled("CONFIG_MODVERSIONS")) v += "modversions ";
  return v;
}

std::string subsystem_of(std::string_view path) {
  auto next = [](std::string_view& rest) -> std::string_view {
    auto slash = rest.find('/');
    if (slash == std::string_view::npos) return {};  // the last component is the file
    auto part = rest.substr(0, slash);
    rest.remove_prefix(slash + 1);
    return part;
  };
  std::string_view rest = path;
  if (rest.starts_with('/')) return "(outside the tree)";
  std::string_view top = next(rest);
  if (top.empty()) return "(top)";
  if (top != "kernel") return std::string(top);
  std::string_view first = next(rest);
  if (first.empty()) return "kernel";
  if (first == "drivers" || first == "arch") {
    std::string_view second = next(rest);
    if (!second.empty()) return std::string(first) + "/" + std::string(second);
  }
  return std::string(first);
}

bool license_is_gpl_compatible(std::string_view license) {
  return license == "GPL" || license == "GPL v2" || license == "GPL and additional rights" ||
         license == "Dual BSD/GPL" || license == "Dual MIT/GPL" || license == "Dual MPL/GPL";
}

}  // namespace kmpkit::kabi

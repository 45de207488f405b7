#include "initrd/initrd_check.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <variant>

#include <fmt/format.h>

#include "initrd/initrd_firmware.hpp"
#include "module/module_reader.hpp"

namespace fs = std::filesystem;

namespace kmpkit::initrd {

std::vector<ModuleChange> module_changes(const std::vector<ModuleFile>& before, const std::vector<ModuleFile>& now) {
  std::vector<ModuleChange> out;
  size_t i = 0, j = 0;
  while (i < before.size() || j < now.size()) {
    if (j == now.size() || (i < before.size() && before[i].name < now[j].name)) {
      out.push_back({ModuleChange::Kind::Removed, before[i].name, before[i].path});
      ++i;
    } else if (i == before.size() || now[j].name < before[i].name) {
      out.push_back({ModuleChange::Kind::Added, now[j].name, now[j].path});
      ++j;
    } else {
      if (!(before[i] == now[j])) out.push_back({ModuleChange::Kind::Changed, now[j].name, now[j].path});
      ++i, ++j;
    }
  }
  return out;
}

std::vector<std::string> relevant_changes(const std::vector<ModuleChange>& changes, const InitrdRecord& record,
                                          const DracutRules& rules, const ImportsOf& imports_of) {
  std::vector<std::string> reasons;
  auto in_initrd = [&](const std::string& name) {
    return std::binary_search(record.modules.begin(), record.modules.end(), name);
  };
  for (const auto& c : changes) {
    if (c.kind == ModuleChange::Kind::Removed) {
      if (in_initrd(c.name)) reasons.push_back(fmt::format("{}: removed, the initrd holds it", c.name));
      continue;
    }
    if (in_initrd(c.name)) {
      reasons.push_back(fmt::format("{}: {}, the initrd holds it", c.name,
                                    c.kind == ModuleChange::Kind::Added ? "added" : "replaced"));
      continue;
    }
    std::string why = would_take(rules, c.name, c.path, imports_of(c));
    if (!why.empty()) reasons.push_back(fmt::format("{}: {}, {}", c.name,
                                                    c.kind == ModuleChange::Kind::Added ? "added" : "replaced", why));
  }
  return reasons;
}

CheckResult check_initrd(const InitrdPaths& paths) {
  CheckResult r;
  std::error_code ec;
  r.kernel_installed = fs::exists(paths.in_root(paths.kernel_image()), ec);
  struct stat st {};
  r.has_initrd = ::stat(paths.in_root(paths.image()).c_str(), &st) == 0;
  if (!r.kernel_installed) return r;
  auto record = read_record(paths.in_root(paths.record()));
  r.has_record = record.has_value();
  if (!r.has_initrd) {
    r.reasons.push_back("the kernel has no initrd yet");
    return r;
  }
  if (!record) {
    r.reasons.push_back("the initrd was not made by kmpkit (what it holds is unknown)");
    return r;
  }
  int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (static_cast<uint64_t>(st.st_size) != record->image_size || mtime != record->image_mtime_ns) {
    r.reasons.push_back("the initrd was made again by another tool since kmpkit recorded it");
    return r;
  }
  auto now = installed_modules(paths);
  if (!now) return r;  // no database yet: nothing to compare (the trigger makes it first)
  r.changes = module_changes(record->installed, *now);
  // Firmware packages come and go without module changes: what the initrd's modules load.
  if (record->has_firmware)
    r.reasons = firmware_changes(record->firmware, initrd_firmware(paths, record->modules, *now));
  if (r.changes.empty()) return r;
  DracutRules rules = read_dracut_rules(paths.root, record->dracut_modules);
  ModuleReader reader;
  const std::string module_dir = paths.in_root(paths.module_dir());
  std::vector<std::string> scratch;
  auto module_reasons = relevant_changes(r.changes, *record, rules, [&](const ModuleChange& c) {
    std::vector<std::string> imports;
    std::string file = c.path[0] == '/' ? paths.in_root(c.path) : module_dir + "/" + c.path;
    auto read = reader.read(file, module_dir, kReadDependencySymbols);
    if (auto* m = std::get_if<ModuleRecord>(&read))
      for (const auto& s : m->dependency_symbols) imports.push_back(s.name);
    return imports;
  });
  r.reasons.insert(r.reasons.begin(), module_reasons.begin(), module_reasons.end());
  return r;
}

}  // namespace kmpkit::initrd

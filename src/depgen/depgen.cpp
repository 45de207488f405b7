#include "depgen/depgen.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "module/kernel_tree.hpp"
#include "depgen/modalias_patterns.hpp"

namespace fs = std::filesystem;

namespace kmpkit::depgen {
namespace {

// The kernel release named by a path under .../lib/modules/<release>/...
std::string release_from_path(std::string_view path) {
  auto pos = path.find("/lib/modules/");
  if (pos == std::string_view::npos) return {};
  auto rest = path.substr(pos + 13);
  return std::string(rest.substr(0, rest.find('/')));
}

bool is_image_name(std::string_view base) {
  return base.starts_with("vmlinuz") || base.starts_with("vmlinux") || base.starts_with("System.map") ||
         base.starts_with("Image");
}

std::optional<std::string> existing(const fs::path& p) {
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) return p.string();
  return std::nullopt;
}

// Reads a kernel image's context; nullopt when it is not one (no Module.symvers to be found).
std::optional<KernelImageFile> read_kernel_image(const std::string& file, const DepgenOptions& options) {
  fs::path p(file);
  std::string base = p.filename().string();
  if (options.symvers.empty() && !is_image_name(base)) return std::nullopt;
  fs::path dir = p.parent_path();
  std::string release = options.release;
  if (release.empty()) release = release_from_path(file);
  if (release.empty()) {  // /boot/vmlinuz-<release>
    auto dash = base.find('-');
    if (dash != std::string::npos) release = base.substr(dash + 1);
  }
  std::optional<std::string> symvers;
  if (!options.symvers.empty()) symvers = options.symvers;
  else symvers = existing(dir / "Module.symvers");
  if (!symvers) symvers = existing(dir / "symvers");
  if (!symvers && !release.empty()) symvers = existing(dir / ("symvers-" + release));
  if (!symvers) return std::nullopt;

  KernelImageFile k;
  k.file = file;
  k.release = release;
  if (auto entries = read_symvers(*symvers)) k.symvers = std::move(*entries);
  // modules.builtin beside the image, or in the package's lib/modules/<release>/.
  std::optional<std::string> builtin = existing(dir / "modules.builtin");
  if (!builtin && dir.filename() == "boot" && !release.empty())
    builtin = existing(dir.parent_path() / "lib/modules" / release / "modules.builtin");
  if (builtin)
    if (auto lines = read_lines(*builtin))
      for (auto& l : *lines)
        if (!l.empty()) k.builtin_modules.push_back(l);
  return k;
}

std::string crc_hex(uint64_t crc, DepStyle style) {
  return style == DepStyle::Suse ? fmt::format("{:x}", crc) : fmt::format("0x{:08x}", crc);
}

void add_unique(std::vector<std::string>& out, std::unordered_set<std::string>& seen, std::string dep) {
  if (seen.insert(dep).second) out.push_back(std::move(dep));
}

bool symbol_provided(const DepgenOptions& options, const std::string& symbol) {
  return !options.provided_symbols ||
         std::binary_search(options.provided_symbols->begin(), options.provided_symbols->end(), symbol);
}

std::string kernel_flavor(const KernelImageFile& k, const DepgenOptions& options) {
  if (!options.flavor.empty()) return options.flavor;
  return flavor_from_release(k.release);
}

}  // namespace

std::string kmod_dependency(std::string_view module_file_or_name, DepStyle style) {
  auto slash = module_file_or_name.rfind('/');
  auto base = slash == std::string_view::npos ? module_file_or_name : module_file_or_name.substr(slash + 1);
  std::string name(base.substr(0, base.find('.')));
  if (style == DepStyle::Suse) std::replace(name.begin(), name.end(), '-', '_');
  return fmt::format("kmod({}.ko)", name);
}

std::string firmware_dependency(std::string_view requested_name) {
  return fmt::format("firmware({})", requested_name);
}

std::string ksym_dependency(std::string_view flavor, std::string_view symbol, uint64_t crc, DepStyle style,
                            bool kernel_symbol) {
  if (style == DepStyle::Rhel)
    return fmt::format("{}({}) = {}", kernel_symbol ? "kernel" : "ksym", symbol, crc_hex(crc, style));
  return fmt::format("ksym({}:{}) = {}", flavor, symbol, crc_hex(crc, style));
}

std::string module_flavor(const ModuleRecord& module, const DepgenOptions& options) {
  if (!options.flavor.empty()) return options.flavor;
  return flavor_from_release(release_from_vermagic(module.vermagic()));
}

std::vector<std::string> softdep_modules(std::string_view softdep) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < softdep.size()) {
    while (i < softdep.size() && (softdep[i] == ' ' || softdep[i] == '\t')) ++i;
    size_t j = i;
    while (j < softdep.size() && softdep[j] != ' ' && softdep[j] != '\t') ++j;
    auto word = softdep.substr(i, j - i);
    if (!word.empty() && word.back() != ':') out.emplace_back(word);
    i = j;
  }
  return out;
}

std::vector<std::string> imported_symbol_names(const std::vector<ModuleRecord>& modules) {
  std::vector<std::string> out;
  for (const auto& m : modules) {
    for (const auto& v : m.versions) out.push_back(v.name);
    for (const auto& d : m.dependency_symbols) out.push_back(d.name);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<std::vector<std::string>> read_symbol_list(const std::string& path) {
  // Read once per generator call (rpm 4.18: once per file), so one read and no sort when the file is
  // already sorted, as `kmpkit split` writes it.
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  for (size_t i = 0; i < text.size();) {
    size_t j = text.find('\n', i);
    if (j == std::string::npos) j = text.size();
    if (j > i) out.emplace_back(text, i, j - i);
    i = j + 1;
  }
  if (!std::is_sorted(out.begin(), out.end())) std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool write_symbol_list(const std::string& path, const std::vector<std::string>& names) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& n : names) out << n << '\n';
  out.close();
  return static_cast<bool>(out);
}

unsigned read_parts_for(DepKind kind) {
  switch (kind) {
    case DepKind::Provides: return kReadExports;
    case DepKind::Requires: return kReadVersions | kReadExports;
    default: return kReadModinfo;
  }
}

PackageFiles read_package_files(const std::vector<std::string>& files, const DepgenOptions& options,
                                unsigned parts, const ModuleFilesReader& reader) {
  PackageFiles pkg;
  std::vector<std::string> module_files;
  for (const auto& f : files) {
    std::string base = fs::path(f).filename().string();
    if (is_module_file_name(base)) {
      module_files.push_back(f);
    } else if (auto k = read_kernel_image(f, options)) {
      // One image per release: vmlinuz and System.map of the same kernel count once.
      bool dup = std::any_of(pkg.kernels.begin(), pkg.kernels.end(),
                             [&](const KernelImageFile& o) { return o.release == k->release; });
      if (!dup) pkg.kernels.push_back(std::move(*k));
    }
  }
  auto scan = reader(module_files, options.threads, parts);
  pkg.modules = std::move(scan.modules);
  pkg.errors = std::move(scan.errors);
  return pkg;
}

std::vector<FileDependencies> generate_dependencies(const PackageFiles& pkg, DepKind kind,
                                                    const DepgenOptions& options) {
  std::vector<FileDependencies> out;
  const DepStyle style = options.style;

  if (kind == DepKind::Provides) {
    for (const auto& m : pkg.modules) {
      FileDependencies fd{m.file, {}};
      std::unordered_set<std::string> seen;
      add_unique(fd.deps, seen, kmod_dependency(m.file, style));
      std::string flavor = module_flavor(m, options);
      for (const auto& e : m.exports)
        if (symbol_provided(options, e.name)) add_unique(fd.deps, seen, ksym_dependency(flavor, e.name, e.crc, style));
      out.push_back(std::move(fd));
    }
    for (const auto& k : pkg.kernels) {
      FileDependencies fd{k.file, {}};
      std::unordered_set<std::string> seen;
      std::string flavor = kernel_flavor(k, options);
      add_unique(fd.deps, seen, "kernel-" + flavor);
      if (!k.release.empty()) add_unique(fd.deps, seen, "kernel-uname-r = " + k.release);
      for (const auto& e : k.symvers)
        if (e.module == "vmlinux" && symbol_provided(options, e.symbol))
          add_unique(fd.deps, seen, ksym_dependency(flavor, e.symbol, e.crc, style, true));
      for (const auto& b : k.builtin_modules) add_unique(fd.deps, seen, kmod_dependency(b, style));
      out.push_back(std::move(fd));
    }
    return out;
  }

  if (kind == DepKind::Requires) {
    std::unordered_set<std::string> own;  // symbols the package exports itself
    for (const auto& m : pkg.modules)
      for (const auto& e : m.exports) own.insert(e.name);
    for (const auto& k : pkg.kernels)
      for (const auto& e : k.symvers)
        if (e.module == "vmlinux") own.insert(e.symbol);
    std::unordered_set<std::string> kernel_symbols;  // rhel: kernel() for what the kernel ships
    if (style == DepStyle::Rhel && !options.symvers.empty())
      if (auto entries = read_symvers(options.symvers))
        for (auto& e : *entries) kernel_symbols.insert(e.symbol);
    std::unordered_set<std::string> seen;  // package-wide duplicates
    for (const auto& m : pkg.modules) {
      FileDependencies fd{m.file, {}};
      std::string flavor = module_flavor(m, options);
      for (const auto& v : m.versions) {
        if (own.count(v.name)) continue;
        add_unique(fd.deps, seen, ksym_dependency(flavor, v.name, v.crc, style, kernel_symbols.count(v.name) > 0));
      }
      out.push_back(std::move(fd));
    }
    return out;
  }

  if (kind == DepKind::Supplements) {
    // Sorted and merged over the whole package; attributed to its first module. File systems
    // come first: filesystem(NAME), libzypp's namespace for the file systems a system uses
    // (USED_FS_LIST in /etc/sysconfig/storage), so the root's file system is installed with it.
    std::set<std::string> filesystems;
    for (const auto& m : pkg.modules)
      for (auto& f : filesystem_names(m)) filesystems.insert(std::move(f));
    std::set<std::string> encoded;
    for (const auto& m : pkg.modules) {
      std::string prefix = "kernel-" + module_flavor(m, options) + ":";
      if (options.modalias_prefixes)
        if (auto it = options.modalias_prefixes->find(m.name); it != options.modalias_prefixes->end())
          prefix = it->second + ":";
      for (const auto& a : m.aliases())
        if (is_device_alias(a)) encoded.insert(prefix + encode_modalias(a));
    }
    if (pkg.modules.empty()) return out;
    FileDependencies fd{pkg.modules.front().file, {}};
    if (style == DepStyle::Suse)
      for (const auto& f : filesystems) fd.deps.push_back("filesystem(" + f + ")");
    for (auto& p : merge_patterns({encoded.begin(), encoded.end()}))
      fd.deps.push_back(style == DepStyle::Suse ? "modalias(" + p + ")"
                                                : "modalias(" + p.substr(p.find(':') + 1) + ")");
    out.push_back(std::move(fd));
    for (size_t i = 1; i < pkg.modules.size(); ++i) out.push_back({pkg.modules[i].file, {}});
    return out;
  }

  // Recommends: softdeps (pre and post) and firmware.
  std::unordered_set<std::string> seen;
  for (const auto& m : pkg.modules) {
    FileDependencies fd{m.file, {}};
    for (const auto& s : m.softdeps())
      for (const auto& name : softdep_modules(s)) {
        const std::vector<std::string>* targets = nullptr;
        if (options.softdep_targets)
          if (auto it = options.softdep_targets->find(name); it != options.softdep_targets->end()) targets = &it->second;
        if (!targets) {
          add_unique(fd.deps, seen, kmod_dependency(name, style));
        } else if (targets->size() == 1) {
          add_unique(fd.deps, seen, kmod_dependency(targets->front(), style));
        } else if (!targets->empty()) {
          // An alias several modules answer (crc32c: crc32c_intel, crc32c_generic): any of them.
          std::vector<std::string> alternatives;
          for (const auto& t : *targets) alternatives.push_back(kmod_dependency(t, style));
          add_unique(fd.deps, seen, fmt::format("({})", fmt::join(alternatives, " or ")));
        }
      }
    for (const auto& f : m.firmware()) add_unique(fd.deps, seen, firmware_dependency(f));
    out.push_back(std::move(fd));
  }
  return out;
}

}  // namespace kmpkit::depgen

namespace kmpkit::depgen {

std::vector<std::string> filesystem_names(const ModuleRecord& module) {
  std::vector<std::string> out;
  for (const auto& a : module.aliases())
    if (a.size() > 3 && a.starts_with("fs-") && a.find_first_of("*?[") == std::string::npos) out.push_back(a.substr(3));
  return out;
}

std::optional<std::unordered_map<std::string, std::vector<std::string>>> read_softdep_map(const std::string& path) {
  auto lines = read_lines(path);  // a few dozen lines: read whole
  if (!lines) return std::nullopt;
  std::unordered_map<std::string, std::vector<std::string>> out;
  for (const auto& l : *lines) {
    auto words = softdep_modules(l);
    if (words.empty()) continue;
    std::string name = words.front();
    words.erase(words.begin());
    out[name] = std::move(words);
  }
  return out;
}

std::string format_softdep_map(const std::unordered_map<std::string, std::vector<std::string>>& map) {
  std::vector<std::string> lines;
  for (const auto& [name, targets] : map)
    lines.push_back(targets.empty() ? name : fmt::format("{} {}", name, fmt::join(targets, " ")));
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::optional<std::unordered_map<std::string, std::string>> read_prefix_map(const std::string& path,
                                                                            const std::vector<std::string>& names) {
  auto text = read_file(path);
  if (!text) return std::nullopt;
  // rpm 4.18 runs the generator once per file: look up the few names asked for instead of
  // building a map of the whole kernel's modules each time.
  std::unordered_map<std::string, std::string> out;
  const std::string all = "\n" + *text;
  for (const auto& name : names) {
    auto pos = all.find("\n" + name + " ");
    if (pos == std::string::npos) continue;
    size_t start = pos + name.size() + 2, end = all.find('\n', start);
    if (end == std::string::npos) end = all.size();
    if (end > start) out.emplace(name, all.substr(start, end - start));
  }
  return out;
}

}  // namespace kmpkit::depgen

#include "depgen/generator.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "util/error.hpp"

namespace kmpkit::depgen {

GeneratorOutput run_generator(const GeneratorRequest& req) {
  if (!req.reader) throw Error(ErrorKind::Usage, "depgen: no module reader given");
  DepgenOptions opt = req.options;
  auto pkg = read_package_files(req.files, opt, read_parts_for(req.kind), req.reader);
  // Only provides are filtered; the other kinds accept the option (one %kmpkit_depgen_opts for all)
  // and ignore it. The list is read only when there is a symbol to filter (most modules export
  // nothing), but then it must be readable.
  bool exports = !pkg.kernels.empty() ||
                 std::any_of(pkg.modules.begin(), pkg.modules.end(), [](const auto& m) { return !m.exports.empty(); });
  if (!req.provides_only_file.empty() && req.kind == DepKind::Provides && exports) {
    opt.provided_symbols = read_symbol_list(req.provides_only_file);
    if (!opt.provided_symbols)
      throw Error(ErrorKind::Input, fmt::format("cannot read the symbol list {}", req.provides_only_file));
  }
  // The prefix map, likewise, only for supplements of modules that have aliases.
  bool aliases = std::any_of(pkg.modules.begin(), pkg.modules.end(), [](const auto& m) { return !m.aliases().empty(); });
  if (!req.prefix_map_file.empty() && req.kind == DepKind::Supplements && aliases) {
    std::vector<std::string> names;
    for (const auto& m : pkg.modules) names.push_back(m.name);
    opt.modalias_prefixes = read_prefix_map(req.prefix_map_file, names);
    if (!opt.modalias_prefixes)
      throw Error(ErrorKind::Input, fmt::format("cannot read the modalias prefix map {}", req.prefix_map_file));
  }
  // The softdep map only for recommends of modules that have softdeps.
  bool softdeps = std::any_of(pkg.modules.begin(), pkg.modules.end(), [](const auto& m) { return !m.softdeps().empty(); });
  if (!req.softdep_map_file.empty() && req.kind == DepKind::Recommends && softdeps) {
    opt.softdep_targets = read_softdep_map(req.softdep_map_file);
    if (!opt.softdep_targets)
      throw Error(ErrorKind::Input, fmt::format("cannot read the softdep map {}", req.softdep_map_file));
  }
  GeneratorOutput out;
  for (const auto& fd : generate_dependencies(pkg, req.kind, opt)) {
    if (req.multifile) {
      if (fd.deps.empty()) continue;
      out.text += ";" + fd.file + "\n";
    }
    for (const auto& d : fd.deps) out.text += d + "\n";
  }
  out.errors = std::move(pkg.errors);
  return out;
}

}  // namespace kmpkit::depgen

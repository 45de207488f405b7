#include "package/selector_fit.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "policy/glob.hpp"
#include "util/nearest_name.hpp"

namespace kmpkit::package {
namespace {

std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    out.emplace_back(path.substr(i, slash - i));
    i = slash + 1;
  }
  return out;
}

// "a, b, c" or "a, b, c and 4 more".
std::string short_list(const std::vector<std::string>& names) {
  constexpr size_t kShown = 5;
  std::vector<std::string> shown(names.begin(), names.begin() + static_cast<long>(std::min(names.size(), kShown)));
  std::string s = fmt::format("{}", fmt::join(shown, ", "));
  if (names.size() > kShown) s += fmt::format(" and {} more", names.size() - kShown);
  return s;
}

}  // namespace

SelectorFit::SelectorFit(const KernelInventory& inv, FitMessages messages) : inv_(inv), out_(messages) {
  std::set<std::string> known;
  std::map<std::string, std::set<std::string>> entries;
  auto add_path = [&](std::string_view path) {
    auto parts = components(policy::strip_compression(path));
    std::string dir;
    for (const auto& part : parts) {
      entries[dir].insert(part);
      dir += (dir.empty() ? "" : "/") + part;
    }
  };
  for (const auto& m : inv.modules) {
    known.insert(m.name);
    add_path(m.path);
  }
  for (const auto& line : inv.builtin) {
    builtin_names_.push_back(module_name_from_path(line));
    builtin_paths_.push_back(line);
    known.insert(builtin_names_.back());
    add_path(line);
  }
  known_names_.assign(known.begin(), known.end());
  for (auto& [dir, names] : entries) entries_.emplace(dir, std::vector<std::string>(names.begin(), names.end()));
}

bool SelectorFit::is_builtin(std::string_view name) const {
  return std::find(builtin_names_.begin(), builtin_names_.end(), name) != builtin_names_.end();
}

EntryFit SelectorFit::unmatched_name(std::string_view glob) const {
  EntryFit e{std::string(glob), false, Fit::Missing, {}, {}, false};
  for (const auto& b : builtin_names_)
    if (policy::name_glob_match(glob, b) && std::find(e.builtin.begin(), e.builtin.end(), b) == e.builtin.end())
      e.builtin.push_back(b);
  if (!e.builtin.empty()) {
    e.fit = Fit::BuiltIn;
    return e;
  }
  if (policy::has_glob_chars(glob)) return e;  // a glob is no misspelling of one name
  std::string name(glob);
  std::replace(name.begin(), name.end(), '-', '_');
  if (auto near = nearest_name(name, known_names_)) {
    e.fit = Fit::Typo;
    e.suggestion = *near;
    e.suggestion_builtin = is_builtin(*near);
  }
  return e;
}

EntryFit SelectorFit::unmatched_path(std::string_view glob) const {
  EntryFit e{std::string(glob), true, Fit::Missing, {}, {}, false};
  for (size_t i = 0; i < builtin_paths_.size(); ++i)
    if (policy::path_glob_match(glob, builtin_paths_[i])) e.builtin.push_back(builtin_names_[i]);
  if (!e.builtin.empty()) {
    e.fit = Fit::BuiltIn;
    return e;
  }
  // Component by component down the tree: the first one the tree lacks is a typo when it is close
  // to a name in its directory ("kernel/drivers/nvmee/**": nvme). Past a glob nothing can be told.
  auto parts = components(policy::strip_compression(glob));
  std::string dir;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (policy::has_glob_chars(parts[i])) return e;
    auto it = entries_.find(dir);
    if (it == entries_.end()) return e;
    const auto& names = it->second;
    if (std::binary_search(names.begin(), names.end(), parts[i])) {
      dir += (dir.empty() ? "" : "/") + parts[i];
      continue;
    }
    auto near = nearest_name(parts[i], names);
    if (!near) return e;
    parts[i] = *near;
    e.fit = Fit::Typo;
    e.suggestion = fmt::format("{}", fmt::join(parts, "/"));
    std::string_view suffix = std::string_view(glob).substr(policy::strip_compression(glob).size());
    e.suggestion += suffix;
    return e;
  }
  if (entries_.count(dir)) {  // a directory of modules, named without a glob for its files
    e.fit = Fit::Typo;
    e.suggestion = dir + "/**";
  }
  return e;
}

void SelectorFit::report(const EntryFit& e, const std::string& what, std::string_view builtin_meaning) {
  const char* kind = e.path ? "path" : "module";
  switch (e.fit) {
    case Fit::Modules: return;
    case Fit::BuiltIn:
      if (!e.path && e.builtin.size() == 1 && e.builtin.front() == module_name_from_path(e.entry))
        out_.builtin->push_back(fmt::format("{}: module \"{}\" is built into {}: {}", what, e.entry, kver(), builtin_meaning));
      else
        out_.builtin->push_back(fmt::format("{}: {} \"{}\" names only modules built into {} ({}): {}", what, kind, e.entry,
                                            kver(), short_list(e.builtin), builtin_meaning));
      return;
    case Fit::Typo:
      out_.problems->push_back(fmt::format("{}: {} \"{}\" matches no module of {}; did you mean \"{}\"{}?", what, kind,
                                           e.entry, kver(), e.suggestion, e.suggestion_builtin ? " (built in)" : ""));
      return;
    case Fit::Missing: {
      std::string text = fmt::format("{}: {} \"{}\" matches no module of {} and nothing built in (removed or renamed?)",
                                     what, kind, e.entry, kver());
      if (out_.strict) out_.problems->push_back(text);
      else out_.warnings->push_back(text + ": ignored");
      return;
    }
  }
}

std::vector<size_t> SelectorFit::select(const policy::Selector& sel, const std::string& what,
                                        std::string_view builtin_meaning, bool* names_builtin,
                                        policy::Position fallback, std::vector<policy::Position>* picked_at) {
  std::map<size_t, policy::Position> picked;  // module → the first entry picking it
  bool builtin = false;
  auto entry_at = [&](const std::vector<policy::Position>& at, size_t k) { return k < at.size() ? at[k] : fallback; };
  for (size_t k = 0; k < sel.paths.size(); ++k) {
    const auto& g = sel.paths[k];
    size_t n = 0;
    for (size_t i = 0; i < inv_.modules.size(); ++i)
      if (policy::path_glob_match(g, inv_.modules[i].path)) picked.emplace(i, entry_at(sel.paths_at, k)), ++n;
    if (n > 0) continue;
    EntryFit e = unmatched_path(g);
    builtin |= e.fit == Fit::BuiltIn;
    report(e, policy::located(out_.source, entry_at(sel.paths_at, k)) + what, builtin_meaning);
  }
  for (size_t k = 0; k < sel.modules.size(); ++k) {
    const auto& g = sel.modules[k];
    size_t n = 0;
    for (size_t i = 0; i < inv_.modules.size(); ++i)
      if (policy::name_glob_match(g, inv_.modules[i].name)) picked.emplace(i, entry_at(sel.modules_at, k)), ++n;
    if (n > 0) continue;
    EntryFit e = unmatched_name(g);
    builtin |= e.fit == Fit::BuiltIn;
    report(e, policy::located(out_.source, entry_at(sel.modules_at, k)) + what, builtin_meaning);
  }
  if (names_builtin) *names_builtin = builtin;
  std::vector<size_t> out;
  if (picked_at) picked_at->clear();
  for (const auto& [i, at] : picked) {
    out.push_back(i);
    if (picked_at) picked_at->push_back(at);
  }
  return out;
}

}  // namespace kmpkit::package

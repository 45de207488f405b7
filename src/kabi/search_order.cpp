#include "kabi/search_order.hpp"

#include <algorithm>
#include <climits>
#include <filesystem>
#include <map>
#include <sstream>
#include <unordered_map>

#include "module/kernel_files.hpp"
#include "module/module_record.hpp"

namespace fs = std::filesystem;

namespace kmpkit::kabi {
namespace {

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string base_stem(const std::string& path) {  // file name up to the first '.'
  auto slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return base.substr(0, base.find('.'));
}

// kmod 30's priority of one path: the index of the search entry it lies under, else the built-in
// entry's index, else lowest. `skip` is an entry index not to test (the quirk: depmod tests the
// old path against an entry only when the new path did not match it).
int priority(const std::string& path, const DepmodSearchConfig& c, int builtin, int skip) {
  for (size_t i = 0; i < c.search.size(); ++i) {
    const std::string& s = c.search[i];
    if (s == "built-in" || static_cast<int>(i) == skip) continue;
    if (path.size() > s.size() && path.compare(0, s.size(), s) == 0 && path[s.size()] == '/')
      return static_cast<int>(i);
  }
  return builtin;
}

}  // namespace

std::vector<std::string> depmod_config_dirs(const std::string& root) {
  std::string base = root;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return {base + "/run/depmod.d", base + "/etc/depmod.d", base + "/usr/local/lib/depmod.d", base + "/lib/depmod.d"};
}

DepmodSearchConfig read_depmod_search_config(const std::vector<std::string>& dirs, const std::string& kver) {
  std::map<std::string, std::string> files;  // file name → path (first directory wins)
  for (const auto& d : dirs) {
    std::error_code ec;
    if (fs::is_regular_file(d, ec)) {  // -C may name a single file
      files.emplace(fs::path(d).filename().string(), d);
      continue;
    }
    for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.size() > 5 && name.ends_with(".conf")) files.emplace(name, it->path().string());
    }
  }
  DepmodSearchConfig c;
  for (const auto& [name, path] : files) {
    auto lines = read_lines(path);
    if (!lines) continue;
    for (const auto& raw : *lines) {
      std::istringstream words(raw);
      std::string cmd;
      if (!(words >> cmd) || cmd.starts_with('#')) continue;
      if (cmd == "search") {
        for (std::string w; words >> w;) c.search.push_back(w);
      } else if (cmd == "override") {
        DepmodSearchConfig::Override o;
        if (words >> o.module >> o.kver >> o.subdir) {
          while (o.subdir.size() > 1 && o.subdir.back() == '/') o.subdir.pop_back();
          if (o.kver == "*" || o.kver == kver) c.overrides.push_back(o);
        }
      } else if (cmd == "exclude") {
        for (std::string w; words >> w;) c.excludes.push_back(w);
      }
    }
  }
  if (c.search.empty()) c.search.push_back("updates");
  return c;
}

std::vector<bool> choose_module_copies(const std::vector<std::string>& paths, const DepmodSearchConfig& c,
                                       std::vector<DuplicateModule>* duplicates) {
  int builtin = INT_MAX;
  for (size_t i = 0; i < c.search.size(); ++i)
    if (c.search[i] == "built-in") {
      builtin = static_cast<int>(i);
      break;
    }
  auto overridden = [&](const std::string& path) {
    for (const auto& o : c.overrides)
      if (dir_of(path) == o.subdir && base_stem(path) == o.module) return true;
    return false;
  };
  std::vector<bool> keep(paths.size(), false);
  std::unordered_map<std::string, size_t> current;  // name → kept index
  std::map<std::string, DuplicateModule> dups;
  for (size_t i = 0; i < paths.size(); ++i) {
    std::string name = module_name_from_path(paths[i]);
    auto [it, fresh] = current.emplace(name, i);
    if (fresh) {
      keep[i] = true;
      continue;
    }
    auto& d = dups[name];
    if (d.copies.empty()) {
      d.name = name;
      d.copies.push_back(it->second);
    }
    d.copies.push_back(i);
    const std::string& old_path = paths[it->second];
    const std::string& new_path = paths[i];
    bool new_wins;
    if (overridden(new_path)) new_wins = true;
    else if (overridden(old_path)) new_wins = false;
    else {
      int np = priority(new_path, c, builtin, -1);
      int op = priority(old_path, c, builtin, np == builtin ? -1 : np);
      new_wins = np < op;  // equal priority: the first found stays
    }
    if (new_wins) {
      keep[it->second] = false;
      keep[i] = true;
      it->second = i;
    }
  }
  if (duplicates) {
    for (auto& [name, d] : dups) {
      d.winner = current[name];
      duplicates->push_back(std::move(d));
    }
  }
  return keep;
}

}  // namespace kmpkit::kabi

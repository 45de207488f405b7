#include "depmod/config.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "util/ere.hpp"

namespace kmpkit::depmod {
namespace {

bool kernel_matches(const std::string& kver, const std::string& pattern) {
  return pattern == "*" || ere_search(pattern, kver);
}

struct ConfFile {
  std::string name;
  std::string path;
};

void insert_sorted(std::vector<ConfFile>& files, std::string name, std::string path) {
  auto it = std::lower_bound(files.begin(), files.end(), name,
                             [](const ConfFile& f, const std::string& n) { return std::strcmp(f.name.c_str(), n.c_str()) < 0; });
  if (it != files.end() && it->name == name) return;  // an earlier directory already has it
  files.insert(it, {std::move(name), std::move(path)});
}

void list_files(std::vector<ConfFile>& files, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;
  if (S_ISREG(st.st_mode)) {
    auto slash = path.rfind('/');
    insert_sorted(files, slash == std::string::npos ? path : path.substr(slash + 1), path);
    return;
  }
  if (!S_ISDIR(st.st_mode)) return;
  DIR* d = ::opendir(path.c_str());
  if (!d) return;
  while (dirent* de = ::readdir(d)) {
    std::string name = de->d_name;
    if (name.empty() || name[0] == '.') continue;
    if (name.size() < 6 || name.compare(name.size() - 5, 5, ".conf") != 0) continue;
    struct stat fst {};
    if (::fstatat(::dirfd(d), de->d_name, &fst, 0) == 0 && S_ISDIR(fst.st_mode)) continue;
    insert_sorted(files, name, path + "/" + name);
  }
  ::closedir(d);
}

// kmod's getline_wrapped: a backslash joins the next character to the line (a backslash before
// a newline continues the line; before anything else it is dropped and the character kept).
std::vector<std::string> wrapped_lines(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') {
      out.push_back(std::move(cur));
      cur.clear();
    } else if (c == '\\' && i + 1 < text.size()) {
      ++i;
      if (text[i] != '\n') cur.push_back(text[i]);
    } else if (c != '\\') {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::vector<std::string> tokens(const std::string& line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

void parse_file(DepmodConfig& cfg, const std::string& file, const std::string& kver) {
  std::ifstream in(file, std::ios::binary);
  if (!in.is_open()) {
    cfg.messages.push_back(fmt::format("cannot read {}", file));
    return;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  cfg.files.push_back(file);
  parse_config_text(cfg, text, file, kver);
}

// Puts `read` (entries in reading order) in front of `list`, last read first: what prepending each
// entry as it is read gives.
template <typename T>
void prepend_reversed(std::vector<T>& list, std::vector<T>& read) {
  std::reverse(read.begin(), read.end());
  read.insert(read.end(), std::make_move_iterator(list.begin()), std::make_move_iterator(list.end()));
  list = std::move(read);
}

}  // namespace

void parse_config_text(DepmodConfig& cfg, const std::string& text, const std::string& file, const std::string& kver) {
  // kmod prepends every entry to a list as it reads it. Inserting each at the front of a vector
  // took quadratic time: a 200 KB depmod.d file of one "search" line held kmpkit depmod for
  // minutes (found reading the parser for fuzz/fuzz_depmod_config.cpp; its seed
  // crash-long-search-line.conf). This file's entries are collected in reading order and put in
  // front of the earlier files' entries once, reversed: the same order, in linear time.
  DepmodConfig read;
  unsigned linenum = 0;
  for (const auto& line : wrapped_lines(text)) {
    ++linenum;
    if (line.empty() || line[0] == '#') continue;
    auto t = tokens(line);
    if (t.empty()) continue;
    const std::string& cmd = t[0];
    if (cmd == "search") {
      for (size_t i = 1; i < t.size(); ++i) {
        SearchEntry e;
        if (t[i] == "built-in") e.kind = SearchEntry::Kind::builtin;
        else if (t[i] == "external") e.kind = SearchEntry::Kind::external;
        else e.path = t[i];
        read.searches.push_back(std::move(e));
      }
    } else if (cmd == "override") {
      if (t.size() < 4) {
        cfg.messages.push_back(fmt::format("{}:{}: ignoring bad line starting with '{}'", file, linenum, cmd));
        continue;
      }
      if (!ere_within_limits(t[2])) {
        cfg.messages.push_back(fmt::format("{}:{}: ignoring a kernel version pattern this complex", file, linenum));
        continue;
      }
      if (!kernel_matches(kver, t[2])) continue;
      read.overrides.push_back(t[3] + "/" + t[1]);
    } else if (cmd == "external") {
      if (t.size() < 3) {
        cfg.messages.push_back(fmt::format("{}:{}: ignoring bad line starting with '{}'", file, linenum, cmd));
        continue;
      }
      if (!ere_within_limits(t[1])) {
        cfg.messages.push_back(fmt::format("{}:{}: ignoring a kernel version pattern this complex", file, linenum));
        continue;
      }
      if (!kernel_matches(kver, t[1])) continue;
      read.externals.push_back(t[2]);
    } else if (cmd == "exclude") {
      for (size_t i = 1; i < t.size(); ++i) read.excludes.push_back(t[i]);
    } else if (cmd == "include" || cmd == "make_map_files") {
      // not implemented by depmod either
    } else {
      cfg.messages.push_back(fmt::format("{}:{}: ignoring bad line starting with '{}'", file, linenum, cmd));
    }
  }
  prepend_reversed(cfg.searches, read.searches);
  prepend_reversed(cfg.overrides, read.overrides);
  prepend_reversed(cfg.externals, read.externals);
  prepend_reversed(cfg.excludes, read.excludes);
}

const std::vector<std::string>& default_config_paths() {
  static const std::vector<std::string> paths = {"/etc/depmod.d", "/run/depmod.d", "/usr/local/lib/depmod.d",
                                                 "/lib/depmod.d"};
  return paths;
}

std::vector<std::string> config_paths_in(const std::string& root) {
  std::string base = root;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::vector<std::string> out;
  for (const auto& p : default_config_paths()) out.push_back(base + p);
  return out;
}

DepmodConfig load_config(const std::vector<std::string>& paths, const std::string& kver) {
  DepmodConfig cfg;
  std::vector<ConfFile> files;
  for (const auto& p : paths.empty() ? default_config_paths() : paths) list_files(files, p);
  for (const auto& f : files) parse_file(cfg, f.path, kver);
  if (cfg.searches.empty()) cfg.searches.push_back({SearchEntry::Kind::path, "updates"});
  return cfg;
}

}  // namespace kmpkit::depmod

#include "initrd/dracut_rules.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "initrd/initrd_record.hpp"

namespace fs = std::filesystem;

namespace kmpkit::initrd {
namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string normalized(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

std::vector<fs::path> conf_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".conf") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// Shell words of a logical line (quotes removed); words with expansions stay as they are.
std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  char quote = 0;
  bool have = false;
  for (char c : line) {
    if (quote) {
      if (c == quote) quote = 0;
      else cur += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      have = true;
    } else if (c == ' ' || c == '\t') {
      if (have || !cur.empty()) out.push_back(cur);
      cur.clear();
      have = false;
    } else if (c == '#' && cur.empty() && !have) {
      break;
    } else {
      cur += c;
    }
  }
  if (have || !cur.empty()) out.push_back(cur);
  return out;
}

bool module_word(const std::string& w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

}  // namespace

std::set<std::string> configured_drivers(const std::string& root) {
  InitrdPaths p{root, ""};
  std::vector<fs::path> files;
  if (fs::exists(p.in_root("/etc/dracut.conf"))) files.push_back(p.in_root("/etc/dracut.conf"));
  for (const char* d : {"/usr/lib/dracut/dracut.conf.d", "/etc/dracut.conf.d"})
    for (auto& f : conf_files(p.in_root(d))) files.push_back(f);
  static const std::regex kAssign(R"(^\s*(add_drivers|force_drivers|drivers|filesystems)\s*\+?=\s*(.*)$)");
  std::set<std::string> out;
  for (const auto& f : files) {
    std::istringstream in(slurp(f));
    for (std::string line; std::getline(in, line);) {
      std::smatch m;
      if (!std::regex_match(line, m, kAssign)) continue;
      for (const auto& w : words(m[2].str()))
        for (const auto& part : words(w))
          if (module_word(part)) out.insert(normalized(part));
    }
  }
  return out;
}

void parse_module_setup(const std::string& text, DracutRules& rules) {
  // Logical lines: backslash continuations joined.
  std::vector<std::string> lines;
  std::string cur;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\\') {
      cur += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    lines.push_back(cur + line);
    cur.clear();
  }
  if (!cur.empty()) lines.push_back(cur);

  static const std::regex kBlockFuncs(R"(_blockfuncs\+?=\s*'([^']*)')");
  for (const auto& line : lines) {
    std::smatch m;
    if (std::regex_search(line, m, kBlockFuncs)) {
      std::string alt = m[1].str();
      while (!alt.empty() && alt.front() == '|') alt.erase(alt.begin());
      if (!alt.empty()) rules.block_symbols += (rules.block_symbols.empty() ? "" : "|") + alt;
    }
    auto w = words(line);
    auto it = std::find_if(w.begin(), w.end(), [](const std::string& s) {
      return s == "instmods" || s == "dracut_instmods" || s.ends_with("instmods");
    });
    if (it == w.end()) continue;
    bool symbol_filtered = false;  // -s REGEX: only modules using a matching symbol (the block functions)
    for (++it; it != w.end(); ++it) {
      const std::string& t = *it;
      if (t == ";" || t == "&&" || t == "||" || t == "|" || t.find(';') != std::string::npos) break;
      if (t.size() > 1 && t[0] == '-') {
        // -s/-S/-p/-P/-N take an argument. -s is the symbol filter kmpkit evaluates itself (the
        // block functions); -P excludes paths (nfs under =fs), which kmpkit does not narrow.
        symbol_filtered |= t == "-s";
        if (t == "-s" || t == "-S" || t == "-p" || t == "-P" || t == "-N") ++it;
        if (it == w.end()) break;
        continue;
      }
      if (t.find('$') != std::string::npos || t.find('`') != std::string::npos) continue;
      if (t.size() > 1 && t[0] == '=') {
        std::string dir = t.substr(1);
        while (!dir.empty() && dir.back() == '/') dir.pop_back();
        auto& list = symbol_filtered ? rules.symbol_dirs : rules.dirs;
        if (!dir.empty() && std::find(list.begin(), list.end(), dir) == list.end()) list.push_back(dir);
      } else if (module_word(t)) {
        rules.names.insert(normalized(t));
      }
    }
  }
}

DracutRules read_dracut_rules(const std::string& root, const std::vector<std::string>& dracut_modules) {
  DracutRules rules;
  rules.configured = configured_drivers(root);
  InitrdPaths p{root, ""};
  const fs::path dir = p.in_root("/usr/lib/dracut/modules.d");
  std::error_code ec;
  std::vector<fs::path> candidates;
  for (const auto& e : fs::directory_iterator(dir, ec)) candidates.push_back(e.path());
  std::sort(candidates.begin(), candidates.end());
  for (const auto& name : dracut_modules) {
    for (const auto& c : candidates) {
      std::string base = c.filename().string();
      // "90kernel-modules": two digits, then the module's name.
      if (base.size() < 3 || base.substr(2) != name) continue;
      fs::path setup = c / "module-setup.sh";
      if (!fs::exists(setup, ec)) continue;
      parse_module_setup(slurp(setup), rules);
      rules.sources.push_back(setup.string());
    }
  }
  return rules;
}

std::string would_take(const DracutRules& rules, const std::string& name, const std::string& path,
                       const std::vector<std::string>& imports) {
  if (rules.configured.count(name)) return "named in dracut's configuration";
  if (rules.names.count(name)) return "installed by name by a dracut module";
  for (const auto& d : rules.dirs)
    if (path.starts_with("kernel/" + d + "/")) return fmt::format("dracut takes kernel/{}/", d);
  if (rules.block_symbols.empty()) return {};
  bool under = std::any_of(rules.symbol_dirs.begin(), rules.symbol_dirs.end(),
                           [&](const std::string& d) { return path.starts_with("kernel/" + d + "/"); });
  if (!under) return {};
  std::regex re("^(" + rules.block_symbols + ")$");
  for (const auto& s : imports)
    if (std::regex_match(s, re)) return fmt::format("a storage driver (uses {})", s);
  return {};
}

}  // namespace kmpkit::initrd

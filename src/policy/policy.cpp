#include "policy/policy.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include <fmt/format.h>

#include "util/nearest_name.hpp"

// toml++ in header-only mode: only this file parses TOML.
#include "policy/toml.hpp"

namespace fs = std::filesystem;

namespace kmpkit::policy {
namespace {

Position position_of(const toml::source_region& src) {
  return {static_cast<int>(src.begin.line), static_cast<int>(src.begin.column)};
}

// Reads one TOML table, remembering which keys were used so that every other key is reported.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, std::string source, std::vector<Problem>& problems)
      : table_(table), path_(std::move(path)), source_(std::move(source)), problems_(problems) {}

  // Every key this reader looked up is a known one: the nearest is the likely intent of a typo.
  ~TableReader() {
    const std::vector<std::string> known(used_.begin(), used_.end());
    for (auto&& [key, node] : table_) {
      if (used_.count(std::string(key.str()))) continue;
      auto near = nearest_name(key.str(), known);
      error(key.source(), fmt::format("unknown key '{}' in {}{}", key.str(), where(),
                                      near ? fmt::format(" (did you mean '{}'?)", *near) : ""));
    }
  }

  std::string where() const { return path_.empty() ? "the top level" : "[" + path_ + "]"; }

  void string(const char* key, std::string& out, Position* at = nullptr) {
    const toml::node* n = get(key);
    if (!n) return;
    if (at) *at = position_of(n->source());
    if (auto v = n->value<std::string>(); v && n->is_string()) out = *v;
    else type_error(*n, key, "a string");
  }

  void boolean(const char* key, bool& out) {
    const toml::node* n = get(key);
    if (!n) return;
    if (n->is_boolean()) out = *n->value<bool>();
    else type_error(*n, key, "true or false");
  }

  void integer(const char* key, int& out, int64_t lo, int64_t hi) {
    const toml::node* n = get(key);
    if (!n) return;
    if (!n->is_integer()) return type_error(*n, key, "an integer");
    int64_t v = *n->value<int64_t>();
    if (v < lo || v > hi) {
      error(n->source(), fmt::format("'{}' in {} must be between {} and {}", key, where(), lo, hi));
      return;
    }
    out = static_cast<int>(v);
  }

  void unsigned_int(const char* key, unsigned& out, int64_t hi) {
    int v = static_cast<int>(out);
    integer(key, v, 0, hi);
    out = static_cast<unsigned>(v);
  }

  void strings(const char* key, std::vector<std::string>& out, std::vector<Position>* at = nullptr) {
    const toml::node* n = get(key);
    if (!n) return;
    const toml::array* arr = n->as_array();
    if (!arr) return type_error(*n, key, "an array of strings");
    for (const auto& e : *arr) {
      if (!e.is_string()) {
        error(e.source(), fmt::format("'{}' in {} must hold only strings", key, where()));
        continue;
      }
      std::string s = *e.value<std::string>();
      if (s.empty()) {
        error(e.source(), fmt::format("empty string in '{}' of {}", key, where()));
        continue;
      }
      out.push_back(std::move(s));
      if (at) {
        at->resize(out.size() - 1);
        at->push_back(position_of(e.source()));
      }
    }
  }

  // A sub-table (or inline table); nullptr when absent or of the wrong type (reported).
  const toml::table* table(const char* key) {
    const toml::node* n = get(key);
    if (!n) return nullptr;
    if (auto* t = n->as_table()) return t;
    type_error(*n, key, "a table");
    return nullptr;
  }

  const toml::array* array_of_tables(const char* key) {
    const toml::node* n = get(key);
    if (!n) return nullptr;
    if (auto* a = n->as_array(); a && a->is_array_of_tables()) return a;
    type_error(*n, key, "an array of tables ([[" + std::string(key) + "]])");
    return nullptr;
  }

  void error(const toml::source_region& src, const std::string& text) {
    if (src.begin.line)
      problems_.push_back({fmt::format("{}:{}:{}: {}", source_, src.begin.line, src.begin.column, text)});
    else
      problems_.push_back({fmt::format("{}: {}", source_, text)});
  }

  const std::string& path() const { return path_; }
  const std::string& source() const { return source_; }
  std::vector<Problem>& problems() { return problems_; }
  int line() const { return static_cast<int>(table_.source().begin.line); }
  // Where `key`'s value is; the table's own position when the key is absent (a default).
  Position value_at(const char* key) const {
    const toml::node* n = table_.get(key);
    return position_of(n ? n->source() : table_.source());
  }

 private:
  const toml::node* get(const char* key) {
    used_.insert(key);
    return table_.get(key);
  }
  void type_error(const toml::node& n, const char* key, const std::string& expected) {
    error(n.source(), fmt::format("'{}' in {} must be {}", key, where(), expected));
  }

  const toml::table& table_;
  std::string path_;
  std::string source_;
  std::vector<Problem>& problems_;
  std::set<std::string> used_;
};

void read_selector(TableReader& r, Selector& sel) {
  r.strings("paths", sel.paths, &sel.paths_at);
  r.strings("modules", sel.modules, &sel.modules_at);
}

void read_members(TableReader& parent, const char* key, PatternMembers& m) {
  const toml::table* t = parent.table(key);
  if (!t) return;
  TableReader r(*t, parent.path() + "." + key, parent.source(), parent.problems());
  read_selector(r, m.select);
  r.strings("packages", m.packages, &m.packages_at);
  r.strings("patterns", m.patterns, &m.patterns_at);
}

const std::set<std::string> kPlaceholders = {"flavor", "kver", "version", "module", "pattern", "kabi"};

// Checks a template's placeholders against those allowed for it. `source`: "file:line:col" of its value.
void check_template(const std::string& tmpl, const std::set<std::string>& allowed, const std::string& what,
                    const std::string& source, std::vector<Problem>& problems) {
  size_t i = 0;
  while ((i = tmpl.find('{', i)) != std::string::npos) {
    auto end = tmpl.find('}', i);
    if (end == std::string::npos) {
      problems.push_back({fmt::format("{}: {}: unclosed '{{' in \"{}\"", source, what, tmpl)});
      return;
    }
    std::string name = tmpl.substr(i + 1, end - i - 1);
    if (!allowed.count(name))
      problems.push_back({fmt::format("{}: {}: unknown placeholder {{{}}} in \"{}\" (allowed here: {})", source,
                                      what, name, tmpl, fmt::join(allowed, ", "))});
    i = end + 1;
  }
}

void check_name_template(const std::string& tmpl, const std::set<std::string>& allowed, const std::string& what,
                         const std::string& source, std::vector<Problem>& problems) {
  check_template(tmpl, allowed, what, source, problems);
  TemplateValues probe{"flavor", "1.0.0-1-flavor", "1.0.0", "module", "pattern", "0123abcd"};
  std::string expanded = expand_template(tmpl, probe);
  if (expanded.find('{') == std::string::npos && !valid_package_name(expanded))
    problems.push_back({fmt::format("{}: {}: \"{}\" does not give a valid rpm package name", source, what, tmpl)});
}

Policy read_policy(const toml::table& root, const std::string& source, std::vector<Problem>& problems) {
  Policy p;
  p.source = source;
  // "file:line:col" of a value, for the checks made after reading.
  auto loc = [&](Position at) { return at.line ? fmt::format("{}:{}:{}", source, at.line, at.column) : source; };
  Position kernel_name_at, kmp_name_at, pattern_name_at, scheme_at, deps_at, provides_at, depmod_at, weak_at,
      flavor_at, compress_at, payload_at, version_at, release_at;
  TableReader top(root, "", source, problems);
  int format = 1;
  top.integer("format", format, 1, 1);
  // The format comes first in every policy: without it the file is empty or some other TOML.
  if (!root.contains("format"))
    problems.push_back({fmt::format("{}: {} (a kmpkit policy starts with 'format = 1'; docs/policy.md)", source,
                                    root.empty() ? "the policy is empty" : "no 'format' at the top level")});

  if (const toml::table* t = top.table("kernel")) {
    TableReader r(*t, "kernel", source, problems);
    r.string("flavor", p.flavor, &flavor_at);
    r.string("summary", p.kernel_summary);
    r.string("description", p.kernel_description);
    r.string("license", p.license);
    r.string("url", p.url);
    r.string("vendor", p.vendor);
    r.string("license_file", p.license_file);
    r.string("depmod", p.depmod_command, &depmod_at);
    r.string("weak_updates", p.weak_updates_command, &weak_at);
    r.boolean("initrd", p.initrd);
    if (const toml::table* k = r.table("keep")) {
      TableReader kr(*k, "kernel.keep", source, problems);
      read_selector(kr, p.keep);
    }
    if (const toml::table* k = r.table("recommends")) {
      TableReader kr(*k, "kernel.recommends", source, problems);
      read_selector(kr, p.kernel_recommends);
    }
  }
  if (const toml::table* t = top.table("naming")) {
    TableReader r(*t, "naming", source, problems);
    r.string("kernel", p.kernel_name, &kernel_name_at);
    r.string("kmp", p.kmp_name, &kmp_name_at);
    r.string("pattern", p.pattern_name, &pattern_name_at);
    std::string scheme = "kernel-version";
    r.string("scheme", scheme, &scheme_at);
    if (scheme == "kabi") p.scheme = Policy::Scheme::Kabi;
    else if (scheme != "kernel-version")
      problems.push_back({fmt::format("{}: [naming] scheme must be \"kernel-version\" or \"kabi\", not \"{}\"",
                                      loc(scheme_at), scheme)});
  }
  if (const toml::table* t = top.table("kmp")) {
    TableReader r(*t, "kmp", source, problems);
    std::string deps = "ksym";
    r.string("dependencies", deps, &deps_at);
    if (deps == "ksym") p.dependencies = DependencyMode::Ksym;
    else if (deps == "ksym+package") p.dependencies = DependencyMode::KsymAndPackage;
    else
      problems.push_back({fmt::format("{}: [kmp] dependencies must be \"ksym\" or \"ksym+package\", not \"{}\"",
                                      loc(deps_at), deps)});
    std::string provides = "all";
    r.string("provides", provides, &provides_at);
    if (provides == "all") p.provides = ProvidesMode::All;
    else if (provides == "imported") p.provides = ProvidesMode::Imported;
    else
      problems.push_back({fmt::format("{}: [kmp] provides must be \"all\" or \"imported\", not \"{}\"",
                                      loc(provides_at), provides)});
    // [kmp.companions] NAME = [MODULES]: userspace loads NAME by name whenever MODULES drive a device.
    if (const toml::table* c = r.table("companions")) {
      TableReader cr(*c, "kmp.companions", source, problems);
      for (auto&& [key, node] : *c) {
        Companion comp;
        comp.module = std::string(key.str());
        comp.line = static_cast<int>(key.source().begin.line);
        comp.at = position_of(key.source());
        cr.strings(comp.module.c_str(), comp.with, &comp.with_at);
        if (comp.with.empty()) cr.error(key.source(), fmt::format("[kmp.companions] {} names no module", comp.module));
        p.companions.push_back(std::move(comp));
      }
    }
  }
  if (const toml::table* t = top.table("build")) {
    TableReader r(*t, "build", source, problems);
    r.unsigned_int("shards", p.shards, 10000);
    r.unsigned_int("jobs", p.jobs, 256);
    r.string("payload", p.payload, &payload_at);
    r.string("compress_modules", p.compress_modules, &compress_at);
    r.string("version", p.version, &version_at);
    r.string("release", p.release, &release_at);
  }
  if (const toml::array* sets = top.array_of_tables("set")) {
    size_t i = 0;
    for (const auto& node : *sets) {
      const toml::table& t = *node.as_table();
      TableReader r(t, fmt::format("set #{}", ++i), source, problems);
      ModuleSet s;
      s.line = static_cast<int>(t.source().begin.line);
      r.string("name", s.name, &s.name_at);
      r.string("summary", s.summary);
      r.string("description", s.description);
      read_selector(r, s.select);
      if (const toml::table* x = r.table("exclude")) {
        TableReader xr(*x, r.path() + ".exclude", source, problems);
        read_selector(xr, s.exclude);
      }
      if (s.name.empty()) r.error(t.source(), "a [[set]] needs a name");
      if (s.select.empty()) r.error(t.source(), fmt::format("set \"{}\" selects nothing (give paths or modules)", s.name));
      p.sets.push_back(std::move(s));
    }
  }
  if (const toml::array* pats = top.array_of_tables("pattern")) {
    size_t i = 0;
    for (const auto& node : *pats) {
      const toml::table& t = *node.as_table();
      TableReader r(t, fmt::format("pattern #{}", ++i), source, problems);
      Pattern pat;
      pat.line = static_cast<int>(t.source().begin.line);
      r.string("name", pat.name, &pat.name_at);
      r.string("summary", pat.summary);
      r.string("description", pat.description);
      r.boolean("visible", pat.visible);
      r.integer("order", pat.order, 0, 99999);
      r.string("category", pat.category);
      r.string("icon", pat.icon);
      read_members(r, "requires", pat.requires_);
      read_members(r, "recommends", pat.recommends);
      read_members(r, "suggests", pat.suggests);
      if (pat.name.empty()) r.error(t.source(), "a [[pattern]] needs a name");
      if (pat.requires_.empty() && pat.recommends.empty() && pat.suggests.empty())
        r.error(t.source(), fmt::format("pattern \"{}\" has no members", pat.name));
      p.patterns.push_back(std::move(pat));
    }
  }

  // Templates and names.
  check_name_template(p.kernel_name, {"flavor", "kver", "version"}, "[naming] kernel", loc(kernel_name_at), problems);
  check_name_template(p.kmp_name, {"flavor", "kver", "version", "module", "kabi"}, "[naming] kmp", loc(kmp_name_at),
                      problems);
  if (p.scheme != Policy::Scheme::Kabi) {
    const std::string needs = "{kabi} in a KMP name needs [naming] scheme = \"kabi\"";
    if (p.kmp_name.find("{kabi}") != std::string::npos) problems.push_back({loc(kmp_name_at) + ": " + needs});
    for (const auto& s : p.sets)
      if (s.name.find("{kabi}") != std::string::npos) problems.push_back({loc(s.name_at) + ": " + needs});
  }
  check_name_template(p.pattern_name, {"flavor", "kver", "version", "pattern"}, "[naming] pattern",
                      loc(pattern_name_at), problems);
  check_template(p.depmod_command, {"kver"}, "[kernel] depmod", loc(depmod_at), problems);
  check_template(p.weak_updates_command, {"kver"}, "[kernel] weak_updates", loc(weak_at), problems);
  if (p.scheme == Policy::Scheme::Kabi && p.weak_updates_command.empty())
    problems.push_back({loc(weak_at) + ": [kernel] weak_updates must not be empty with [naming] scheme = \"kabi\""});
  if (p.depmod_command.empty()) problems.push_back({loc(depmod_at) + ": [kernel] depmod must not be empty"});
  if (p.compress_modules != "none" && p.compress_modules != "zstd" && p.compress_modules != "xz")
    problems.push_back({fmt::format("{}: [build] compress_modules \"{}\" must be \"none\", \"zstd\" or \"xz\"",
                                    loc(compress_at), p.compress_modules)});
  if (p.payload.find_first_of(" \t\n%") != std::string::npos || p.payload.empty())
    problems.push_back({fmt::format("{}: [build] payload \"{}\" is not an rpm payload setting such as w9.zstdio",
                                    loc(payload_at), p.payload)});
  for (auto [v, at, key] : {std::tuple{&p.version, version_at, "version"}, std::tuple{&p.release, release_at, "release"}})
    if (!valid_version_field(*v))
      problems.push_back({fmt::format("{}: [build] {} \"{}\" must not contain '-', spaces, '%' or braces", loc(at),
                                      key, *v)});
  if (!p.flavor.empty() && p.flavor.find_first_not_of(
                               "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+") != std::string::npos)
    problems.push_back({fmt::format("{}: [kernel] flavor \"{}\" may only use letters, digits, '_', '.', '+'",
                                    loc(flavor_at), p.flavor)});
  std::map<std::string, int> set_names;  // name → line of its first set
  for (const auto& s : p.sets) {
    if (s.name.empty()) continue;
    check_name_template(s.name, {"flavor", "kver", "version", "kabi"}, fmt::format("set \"{}\"", s.name),
                        loc(s.name_at), problems);
    if (auto [it, fresh] = set_names.emplace(s.name, s.line); !fresh)
      problems.push_back({fmt::format("{}: two sets are named \"{}\" (the other at line {})", loc(s.name_at), s.name,
                                      it->second)});
  }
  std::map<std::string, int> pattern_names;
  for (const auto& pat : p.patterns) {
    if (pat.name.empty()) continue;
    if (!valid_package_name(pat.name))
      problems.push_back({fmt::format("{}: pattern name \"{}\" may only use letters, digits and . _ + -",
                                      loc(pat.name_at), pat.name)});
    if (auto [it, fresh] = pattern_names.emplace(pat.name, pat.line); !fresh)
      problems.push_back({fmt::format("{}: two patterns are named \"{}\" (the other at line {})", loc(pat.name_at),
                                      pat.name, it->second)});
    if (pat.summary.find('\n') != std::string::npos)
      problems.push_back({fmt::format("{}: the summary of pattern \"{}\" must be one line", loc(pat.name_at),
                                      pat.name)});
  }
  for (const auto& pat : p.patterns)
    for (const auto* m : {&pat.requires_, &pat.recommends, &pat.suggests})
      for (size_t k = 0; k < m->patterns.size(); ++k)
        if (!pattern_names.count(m->patterns[k])) {
          std::vector<std::string> known;
          for (const auto& [name, line] : pattern_names) known.push_back(name);
          auto near = nearest_name(m->patterns[k], known);
          problems.push_back({fmt::format("{}: pattern \"{}\" names the unknown pattern \"{}\"{}",
                                          loc(k < m->patterns_at.size() ? m->patterns_at[k] : pat.name_at), pat.name,
                                          m->patterns[k], near ? fmt::format("; did you mean \"{}\"?", *near) : "")});
        }
  return p;
}

LoadResult finish(const toml::table& root, const std::string& source) {
  LoadResult r;
  Policy p = read_policy(root, source, r.problems);
  if (r.problems.empty()) r.policy = p;
  r.partial = std::move(p);
  return r;
}

std::string syntax_problem(const toml::parse_error& e, const std::string& source) {
  const auto& b = e.source().begin;
  return fmt::format("{}:{}:{}: TOML syntax error: {}", source, b.line, b.column, e.description());
}

// The syntax errors of `text`: toml++ stops at the first, so the line it names is blanked and the
// rest parsed again, until it parses or the error no longer moves on (a string left open to the
// end), at most kMaxSyntaxErrors.
LoadResult syntax_errors(const toml::parse_error& first, std::string text, const std::string& source) {
  constexpr size_t kMaxSyntaxErrors = 20;
  LoadResult r;
  r.problems.push_back({syntax_problem(first, source)});
  size_t line = first.source().begin.line;
  while (r.problems.size() < kMaxSyntaxErrors) {
    // Blank line `line` (1-based), keeping the line count so later positions stay right.
    size_t start = 0;
    for (size_t n = 1; n < line && start != std::string::npos; ++n) {
      start = text.find('\n', start);
      if (start != std::string::npos) ++start;
    }
    if (start == std::string::npos || start >= text.size()) break;
    size_t end = text.find('\n', start);
    text.replace(start, (end == std::string::npos ? text.size() : end) - start, "");
    try {
      (void)toml::parse(text, source);
      break;
    } catch (const toml::parse_error& e) {
      if (e.source().begin.line <= line) break;
      line = e.source().begin.line;
      r.problems.push_back({syntax_problem(e, source)});
    }
  }
  return r;
}

}  // namespace

std::string located(const std::string& source, Position at) {
  if (source.empty()) return "";
  if (!at.line) return source + ": ";
  return fmt::format("{}:{}:{}: ", source, at.line, at.column);
}

LoadResult load_policy_string(const std::string& text, const std::string& source_name) {
  try {
    toml::table root = toml::parse(text, source_name);
    return finish(root, source_name);
  } catch (const toml::parse_error& e) {
    return syntax_errors(e, text, source_name);
  }
}

LoadResult load_policy_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    LoadResult r;
    r.problems.push_back({fmt::format("{}: no such policy file", path)});
    return r;
  }
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) {
    LoadResult r;
    r.problems.push_back({fmt::format("{}: cannot read the policy file", path)});
    return r;
  }
  return load_policy_string(text, path);
}

std::string default_policy_path() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) {
    candidates.push_back(exe.parent_path().parent_path() / "share/kmpkit/policies/default.toml");
    // A build tree: build/src/kmpkit → source tree policies/.
    for (fs::path d = exe.parent_path(); !d.empty() && d != d.root_path(); d = d.parent_path())
      candidates.push_back(d / "policies/default.toml");
  }
#ifdef KMPKIT_SOURCE_DIR
  candidates.push_back(fs::path(KMPKIT_SOURCE_DIR) / "policies/default.toml");
#endif
  candidates.push_back("/usr/local/share/kmpkit/policies/default.toml");
  candidates.push_back("/usr/share/kmpkit/policies/default.toml");
  for (const auto& c : candidates)
    if (fs::is_regular_file(c, ec)) return c.string();
  return {};
}

std::string expand_template(const std::string& tmpl, const TemplateValues& v) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    if (tmpl[i] == '{') {
      auto end = tmpl.find('}', i);
      if (end != std::string::npos) {
        std::string name = tmpl.substr(i + 1, end - i - 1);
        const std::string* value = name == "flavor"    ? &v.flavor
                                   : name == "kver"    ? &v.kver
                                   : name == "version" ? &v.version
                                   : name == "module"  ? &v.module
                                   : name == "pattern" ? &v.pattern
                                   : name == "kabi"    ? &v.kabi
                                                       : nullptr;
        if (value) {
          out += *value;
          i = end + 1;
          continue;
        }
      }
    }
    out += tmpl[i++];
  }
  return out;
}

std::string kabi_name_template(const std::string& tmpl) {
  return tmpl.find("{kabi}") != std::string::npos ? tmpl : tmpl + "-{kabi}";
}

std::string base_name_template(const std::string& tmpl) {
  std::string t = tmpl;
  for (std::string_view part : {"-{kabi}", "_{kabi}", "{kabi}-", "{kabi}_", "{kabi}"}) {
    auto pos = t.find(part);
    if (pos != std::string::npos) {
      t.erase(pos, part.size());
      break;
    }
  }
  return t;
}

bool valid_version_field(const std::string& v) { return v.find_first_of(" -\t\n%{}") == std::string::npos; }

bool valid_package_name(const std::string& name) {
  if (name.empty() || name[0] == '-' || name[0] == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.' || c == '+';
    if (!ok) return false;
  }
  return true;
}

}  // namespace kmpkit::policy

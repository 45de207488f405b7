#include "kmp/build_record.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/shell_quote.hpp"

namespace fs = std::filesystem;

namespace kmpkit::kmp {
namespace {

// Quoted only when the shell needs it, so the printed command reads like one typed by hand.
std::string shell_word(const std::string& s) {
  bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || std::string_view("_./:=+-,@%").find(static_cast<char>(c)) != std::string_view::npos;
  });
  return plain ? s : shell_quote(s);
}

}  // namespace

std::string build_record_path(const std::string& package) { return fmt::format("{}/{}.build", kBuildRecordDir, package); }

std::string format_build_record(const BuildRecord& r) {
  std::string s = "# kmpkit kmp build: what built this KMP (kmpkit refresh and verify name the command\n"
                  "# that builds it for a kernel it does not fit).\n";
  auto line = [&s](const char* key, const std::string& value) {
    if (value.find('\n') != std::string::npos)
      throw Error(ErrorKind::Usage, fmt::format("{} '{}' has a line break: cannot be recorded", key, value));
    s += fmt::format("{}={}\n", key, value);
  };
  line("package", r.package);
  line("base_name", r.base_name);
  line("driver", r.driver);
  line("version", r.version);
  line("release", r.release);
  line("kver", r.kver);
  for (const auto& m : r.modules) line("module", m);
  line("source_dir", r.source_dir);
  line("repo_dir", r.repo_dir);
  for (const auto& o : r.options) line("option", o);
  return s;
}

BuildRecord parse_build_record(const std::string& text, const std::string& origin) {
  BuildRecord r;
  std::istringstream in(text);
  std::string l;
  for (size_t n = 1; std::getline(in, l); ++n) {
    if (l.empty() || l[0] == '#') continue;
    auto eq = l.find('=');
    if (eq == std::string::npos)
      throw Error(ErrorKind::Input, fmt::format("{}:{}: not key=value: '{}'", origin, n, l));
    std::string key = l.substr(0, eq), value = l.substr(eq + 1);
    if (key == "package") r.package = value;
    else if (key == "base_name") r.base_name = value;
    else if (key == "driver") r.driver = value;
    else if (key == "version") r.version = value;
    else if (key == "release") r.release = value;
    else if (key == "kver") r.kver = value;
    else if (key == "module") r.modules.push_back(value);
    else if (key == "source_dir") r.source_dir = value;
    else if (key == "repo_dir") r.repo_dir = value;
    else if (key == "option") r.options.push_back(value);
    // Unknown keys are a newer kmpkit's: ignored, so old tools still read new records.
  }
  for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"package", &r.package},
                                   {"base_name", &r.base_name}, {"kver", &r.kver}, {"source_dir", &r.source_dir}})
    if (value->empty()) throw Error(ErrorKind::Input, fmt::format("{}: no {}=", origin, key));
  if (r.modules.empty()) throw Error(ErrorKind::Input, fmt::format("{}: no module=", origin));
  return r;
}

std::vector<BuildRecord> installed_build_records(const std::string& root, std::vector<std::string>* problems) {
  std::vector<BuildRecord> out;
  const fs::path dir = fs::path(root.empty() ? "/" : root) / std::string(kBuildRecordDir).substr(1);
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".build") continue;
    std::ifstream f(it->path());
    std::stringstream text;
    text << f.rdbuf();
    try {
      if (!f) throw Error(ErrorKind::Input, fmt::format("{}: cannot be read", it->path().string()));
      out.push_back(parse_build_record(text.str(), it->path().string()));
    } catch (const Error& e) {
      if (problems) problems->push_back(e.what());
    }
  }
  std::sort(out.begin(), out.end(), [](const BuildRecord& a, const BuildRecord& b) { return a.package < b.package; });
  return out;
}

std::string rebuild_command(const BuildRecord& r, const std::string& kver) {
  std::string s = "kmpkit kmp build " + shell_word(r.source_dir) + " " + shell_word(kver);
  s += " --out " + shell_word(r.repo_dir.empty() ? std::string("REPO_DIR") : r.repo_dir);
  for (const auto& o : r.options) s += " " + shell_word(o);
  return s;
}

}  // namespace kmpkit::kmp

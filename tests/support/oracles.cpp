#include "oracles.hpp"

#include <fstream>
#include <stdexcept>

namespace kmpkit::test {
namespace {

std::vector<std::pair<std::string, uint64_t>> parse_modversions(const std::vector<std::string>& lines) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const auto& l : lines) {
    auto tab = l.find('\t');
    if (tab == std::string::npos) continue;
    out.emplace_back(l.substr(tab + 1), std::stoull(l.substr(0, tab), nullptr, 16));
  }
  return out;
}

// Runs `CMD FILE` for every file in one shell, output split per file by a marker line.
std::vector<std::vector<std::string>> run_many(const std::vector<std::string>& files, const std::string& cmd) {
  std::string list = temp_dir("kmpkit-oracle") + "/files";
  {
    std::ofstream out(list);
    for (const auto& f : files) out << f << "\n";
  }
  auto r = run("while IFS= read -r f; do echo '@@KMPKIT@@'; " + cmd + " \"$f\" 2>/dev/null; done < " +
               shell_quote(list));
  if (r.exit_code != 0) throw std::runtime_error("oracle failed: " + r.err);
  std::vector<std::vector<std::string>> result;
  for (auto& line : split_lines(r.out)) {
    if (line == "@@KMPKIT@@") result.emplace_back();
    else if (!result.empty()) result.back().push_back(std::move(line));
  }
  if (result.size() != files.size()) throw std::runtime_error("oracle output does not match the file list");
  return result;
}

}  // namespace

std::vector<std::string> modinfo_field(const std::string& file, const std::string& field) {
  return split_lines(run("/sbin/modinfo -F " + shell_quote(field) + " " + shell_quote(file)).out);
}

std::vector<std::pair<std::string, uint64_t>> dump_modversions(const std::string& file) {
  return parse_modversions(split_lines(run("/sbin/modprobe --dump-modversions " + shell_quote(file)).out));
}

std::vector<std::vector<std::string>> modinfo_field_many(const std::vector<std::string>& files,
                                                         const std::string& field) {
  return run_many(files, "/sbin/modinfo -F " + shell_quote(field));
}

std::vector<std::vector<std::pair<std::string, uint64_t>>> dump_modversions_many(
    const std::vector<std::string>& files) {
  std::vector<std::vector<std::pair<std::string, uint64_t>>> out;
  for (auto& lines : run_many(files, "/sbin/modprobe --dump-modversions")) out.push_back(parse_modversions(lines));
  return out;
}

}  // namespace kmpkit::test

#include "build/generated_check.hpp"

#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "depgen/depgen.hpp"
#include "util/error.hpp"
#include "util/process.hpp"

namespace fs = std::filesystem;

namespace kmpkit::build {

std::vector<MissingDependencies> packages_missing_generated_dependencies(const std::string& repo) {
  std::vector<std::string> rpms;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(repo, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->path().extension() == ".rpm") rpms.push_back(it->path().string());
  std::vector<MissingDependencies> out;
  if (rpms.empty()) return out;
  // One record a package: "@ NAME", then "F path" and "P provide" lines; one rpm run for all.
  std::vector<std::string> argv = {"rpm", "-qp", "--qf", "@ %{NAME} \n[F %{FILENAMES}\n][P %{PROVIDENAME}\n]"};
  argv.insert(argv.end(), rpms.begin(), rpms.end());
  auto r = run_process(argv);
  if (!r.ok()) throw Error(ErrorKind::Tool, describe_failure("rpm -qp of the built packages", r));
  const std::string& text = r.out;

  std::string name;
  std::vector<std::string> modules;
  std::set<std::string> provides;
  auto finish = [&] {
    for (const auto& m : modules)
      if (!provides.count(depgen::kmod_dependency(m, depgen::DepStyle::Suse))) {
        out.push_back({name, m});
        break;
      }
    modules.clear();
    provides.clear();
  };
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    if (line.starts_with("@ ")) {
      if (!name.empty()) finish();
      name = std::string(line.substr(2, line.find(' ', 2) - 2));
    } else if (line.starts_with("F ")) {
      auto f = line.substr(2);
      if (f.starts_with("/lib/modules/") && f.find(".ko") != std::string_view::npos &&
          f.find("/weak-updates/") == std::string_view::npos)
        modules.emplace_back(f);
    } else if (line.starts_with("P ")) {
      provides.emplace(line.substr(2));
    }
  }
  if (!name.empty()) finish();
  return out;
}

}  // namespace kmpkit::build

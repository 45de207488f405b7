#include "rpm/generated_check.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "rpm/depgen.hpp"
#include "util/shell_quote.hpp"

namespace fs = std::filesystem;

namespace kmpkit::rpm {

std::vector<MissingDependencies> packages_missing_generated_dependencies(const std::string& repo) {
  std::vector<std::string> rpms;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(repo, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->path().extension() == ".rpm") rpms.push_back(it->path().string());
  std::vector<MissingDependencies> out;
  if (rpms.empty()) return out;
  fs::path list = fs::path(repo).parent_path() / ".kmpkit-rpms";  // beside the repository, not in it
  {
    std::ofstream l(list);
    for (const auto& r : rpms) l << r << "\n";
    if (!l) throw std::runtime_error("cannot write " + list.string());
  }
  // One record a package: "@ NAME FILE", then "F path" and "P provide" lines.
  std::string cmd = "xargs -d '\\n' rpm -qp --qf '@ %{NAME} \\n[F %{FILENAMES}\\n][P %{PROVIDENAME}\\n]' < " +
                    shell_quote(list.string()) + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run rpm -qp");
  std::string text;
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) text.append(buf, n);
  int status = ::pclose(p);
  fs::remove(list, ec);
  if (status != 0) throw std::runtime_error(fmt::format("rpm -qp of the built packages failed (status {})", status));

  std::string name;
  std::vector<std::string> modules;
  std::set<std::string> provides;
  auto finish = [&] {
    for (const auto& m : modules)
      if (!provides.count(kmod_dependency(m, DepStyle::Suse))) {
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

}  // namespace kmpkit::rpm

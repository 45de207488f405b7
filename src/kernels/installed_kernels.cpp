#include "kernels/installed_kernels.hpp"

#include <rpm/rpmver.h>

#include <algorithm>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "util/process.hpp"

namespace kmpkit::kernels {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) {
    cur.erase(0, cur.find_first_not_of(" \t"));
    cur.erase(cur.find_last_not_of(" \t") + 1);
    if (!cur.empty()) out.push_back(cur);
  }
  return out;
}

}  // namespace

int compare_versions(const std::string& a, const std::string& b) {
  auto va = a.substr(0, a.rfind('-')), vb = b.substr(0, b.rfind('-'));
  auto ra = a.find('-') == std::string::npos ? "" : a.substr(a.rfind('-') + 1);
  auto rb = b.find('-') == std::string::npos ? "" : b.substr(b.rfind('-') + 1);
  int c = rpmvercmp(va.c_str(), vb.c_str());
  return c != 0 ? c : rpmvercmp(ra.c_str(), rb.c_str());
}

KernelList installed_kernel_packages(const std::string& root) {
  KernelList out;
  std::vector<std::string> argv = {"rpm"};
  if (!root.empty() && root != "/") argv.insert(argv.end(), {"--root", root});
  argv.insert(argv.end(), {"--dbpath", "/var/lib/rpm", "-q", "--whatprovides", "kernel-uname-r", "--qf",
                           "%{NAME} %{VERSION} %{RELEASE} [%{PROVIDENAME}=%{PROVIDEVERSION} ]\\n"});
  auto r = run_process(argv);
  if (!r.ok()) {
    if (r.out.find("no package provides") != std::string::npos) return out;  // no kernel installed
    out.error = describe_failure("rpm", r);
    return out;
  }
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    InstalledKernel k;
    words >> k.package >> k.version >> k.release;
    for (std::string p; words >> p;)
      if (p.starts_with("kernel-uname-r=")) k.kver = p.substr(15);
    if (!k.package.empty() && !k.kver.empty()) out.kernels.push_back(k);
  }
  std::sort(out.kernels.begin(), out.kernels.end(), [](const InstalledKernel& a, const InstalledKernel& b) {
    return compare_versions(a.version + "-" + a.release, b.version + "-" + b.release) < 0;
  });
  return out;
}

KeepDecision decide_keep(const std::vector<InstalledKernel>& kernels, const std::string& spec, const std::string& running) {
  KeepDecision d;
  std::map<std::string, std::vector<const InstalledKernel*>> by_package;  // oldest first
  for (const auto& k : kernels) by_package[k.package].push_back(&k);
  auto words = split(spec, ',');
  for (const auto& [name, list] : by_package) {
    std::vector<std::string> reasons(list.size());
    auto keep = [&](size_t i, const std::string& why) {
      if (i < list.size()) reasons[i] += (reasons[i].empty() ? "" : ", ") + why;
    };
    for (const auto& w : words) {
      if (w == "running") {
        for (size_t i = 0; i < list.size(); ++i)
          if (list[i]->kver == running) keep(i, "running");
      } else if (w.starts_with("latest")) {
        size_t off = w.size() > 6 ? static_cast<size_t>(std::stoul(w.substr(7))) : 0;
        if (off < list.size()) keep(list.size() - 1 - off, w);
      } else if (w.starts_with("oldest")) {
        size_t off = w.size() > 6 ? static_cast<size_t>(std::stoul(w.substr(7))) : 0;
        keep(off, w);
      } else {
        for (size_t i = 0; i < list.size(); ++i)
          if (list[i]->version + "-" + list[i]->release == w || list[i]->kver == w) keep(i, "named " + w);
      }
    }
    for (size_t i = 0; i < list.size(); ++i) {
      (reasons[i].empty() ? d.remove : d.keep).push_back(*list[i]);
      d.why.push_back(fmt::format("{} {}: {}", list[i]->package, list[i]->kver,
                                  reasons[i].empty() ? "purged" : "kept (" + reasons[i] + ")"));
    }
  }
  return d;
}

}  // namespace kmpkit::kernels

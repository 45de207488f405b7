#include "drivers/driver_report.hpp"

#include <libkmod.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "drivers/install_reasons.hpp"
#include "drivers/repo_packages.hpp"
#include "drivers/root_path.hpp"
#include "hardware/driver_index.hpp"
#include "rpmdb/package_db.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kmpkit::drivers {
namespace {



// A module that modprobe finds for a device alias in the root: libkmod's own lookup (modprobe.d
// aliases, modules.alias, modules.builtin.alias), as udev's kmod builtin does it.
struct InstalledMatch {
  std::string name;
  std::string path;  // "" = built in
};

class ModuleLookup {
 public:
  ModuleLookup(const std::string& root, const std::string& kver) {
    const std::string dir = under_root(root, "/lib/modules/" + kver);
    confs_ = {under_root(root, "/etc/modprobe.d"), under_root(root, "/run/modprobe.d"),
              under_root(root, "/lib/modprobe.d")};
    std::vector<const char*> c;
    for (const auto& s : confs_) c.push_back(s.c_str());
    c.push_back(nullptr);
    ctx_ = kmod_new(dir.c_str(), c.data());
    if (!ctx_) throw Error(ErrorKind::Input, fmt::format("cannot read the module database of {}", dir));
    kmod_set_log_priority(ctx_, 0);
    kmod_load_resources(ctx_);
  }
  ~ModuleLookup() { kmod_unref(ctx_); }
  ModuleLookup(const ModuleLookup&) = delete;
  ModuleLookup& operator=(const ModuleLookup&) = delete;

  std::vector<InstalledMatch> lookup(const std::string& alias) const {
    std::vector<InstalledMatch> out;
    struct kmod_list* list = nullptr;
    if (kmod_module_new_from_lookup(ctx_, alias.c_str(), &list) < 0) return out;
    struct kmod_list* l;
    kmod_list_foreach(l, list) {
      struct kmod_module* m = kmod_module_get_module(l);
      const char* path = kmod_module_get_path(m);
      out.push_back({kmod_module_get_name(m), path ? path : ""});
      kmod_module_unref(m);
    }
    kmod_module_unref_list(list);
    return out;
  }

 private:
  std::vector<std::string> confs_;
  struct kmod_ctx* ctx_ = nullptr;
};

bool loaded(const std::string& module) {
  std::error_code ec;
  return fs::exists("/sys/module/" + module + "/initstate", ec);
}

std::string choose_kernel(const DriversRequest& req) {
  auto kernels = installed_kernels(req.root);
  if (!req.kernel.empty()) {
    if (std::find(kernels.begin(), kernels.end(), req.kernel) == kernels.end()) {
      std::string list;
      for (const auto& k : kernels) list += (list.empty() ? "" : ", ") + k;
      throw Error(ErrorKind::Input, fmt::format("kernel {} is not installed in {} (installed: {})", req.kernel,
                                                req.root, list.empty() ? "none" : list));
    }
    return req.kernel;
  }
  if (req.root == "/") {
    auto running = running_kernel();
    if (std::find(kernels.begin(), kernels.end(), running) != kernels.end()) return running;
  }
  for (const auto& k : kernels)  // newest with an index, else the newest
    if (fs::exists(under_root(req.root, hardware::driver_index_path(k)))) return k;
  if (kernels.empty()) throw Error(ErrorKind::Input, fmt::format("no kernel is installed in {} (no lib/modules/*)", req.root));
  return kernels.front();
}

}  // namespace

std::string running_kernel() {
  struct utsname u {};
  return ::uname(&u) == 0 ? u.release : "";
}

const char* state_name(DriverState s) {
  switch (s) {
    case DriverState::Loaded: return "loaded";
    case DriverState::BuiltIn: return "built-in";
    case DriverState::Installed: return "installed";
    case DriverState::Available: return "available";
    case DriverState::InIndex: return "in-index";
    case DriverState::None: return "no-driver";
  }
  return "?";
}

std::vector<std::string> installed_kernels(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(under_root(root, "/lib/modules"), ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    if (it->is_directory(ec) && fs::exists(it->path() / "modules.dep", ec)) out.push_back(it->path().filename().string());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return ::strverscmp(a.c_str(), b.c_str()) > 0; });
  return out;
}

std::vector<std::string> DriversReport::missing_packages() const {
  std::set<std::string> out;
  for (const auto& d : devices) {
    if (d.state != DriverState::Available && d.state != DriverState::InIndex) continue;
    for (const auto& c : d.drivers)
      if (c.state == d.state && !c.package.empty()) out.insert(c.package);
  }
  return {out.begin(), out.end()};
}

DriversReport report_drivers(const DriversRequest& req) {
  DriversReport rep;
  rep.root = req.root.empty() ? "/" : fs::absolute(req.root).lexically_normal().string();
  if (rep.root.size() > 1 && rep.root.back() == '/') rep.root.pop_back();
  DriversRequest r = req;
  r.root = rep.root;
  rep.kernel = choose_kernel(r);

  std::optional<hardware::DriverIndex> index;
  const std::string index_file = under_root(rep.root, hardware::driver_index_path(rep.kernel));
  if (fs::exists(index_file)) {
    index = hardware::read_driver_index(index_file);
    rep.index_path = hardware::driver_index_path(rep.kernel);
  } else {
    rep.notes.push_back(fmt::format("{} has no offline driver index ({}): only installed drivers are known",
                                    rep.kernel, hardware::driver_index_path(rep.kernel)));
  }

  std::set<std::string> offered;
  rep.repos = req.repos;
  for (const auto& dir : configured_local_repos(rep.root))
    if (std::find(rep.repos.begin(), rep.repos.end(), dir) == rep.repos.end()) rep.repos.push_back(dir);
  for (const auto& dir : rep.repos) {
    try {
      auto names = repo_package_names(dir);
      offered.insert(names.begin(), names.end());
    } catch (const Error& e) {
      rep.notes.push_back(e.what());
    }
  }

  std::string why;
  auto db = rpmdb::PackageDb::open(rep.root, "", &why);
  if (!db) rep.notes.push_back(fmt::format("{}: packages of installed modules and the reasons are unknown", why));

  ModuleLookup lookup(rep.root, rep.kernel);
  const bool running = rep.root == "/" && rep.kernel == running_kernel();
  const std::string kdir = "/lib/modules/" + rep.kernel + "/";
  for (const auto& dev : req.devices) {
    DeviceDrivers dd{dev, {}, DriverState::None};
    std::set<std::string> seen;
    for (const auto& m : lookup.lookup(dev.modalias)) {
      if (!seen.insert(m.name).second) continue;  // several of its aliases match
      DriverCandidate c{m.name, "", DriverState::BuiltIn};
      if (!m.path.empty()) {
        c.state = running && loaded(m.name) ? DriverState::Loaded : DriverState::Installed;
        std::string inside = m.path;
        if (rep.root != "/" && inside.rfind(rep.root, 0) == 0) inside = inside.substr(rep.root.size());
        if (db) {
          auto owners = db->owners(inside);
          if (!owners.empty()) c.package = owners.front();
        }
        if (c.package.empty() && index)
          if (auto* im = index->find_module(m.name)) c.package = im->package;
      }
      dd.drivers.push_back(c);
    }
    if (index)
      for (const auto* im : index->match(dev.modalias)) {
        if (seen.count(im->name)) continue;
        dd.drivers.push_back({im->name, im->package, offered.count(im->package) ? DriverState::Available : DriverState::InIndex});
      }
    std::sort(dd.drivers.begin(), dd.drivers.end(), [](const auto& a, const auto& b) {
      return std::tie(a.state, a.module) < std::tie(b.state, b.module);
    });
    if (!dd.drivers.empty()) dd.state = dd.drivers.front().state;
    rep.devices.push_back(std::move(dd));
  }

  if (req.explain && db) rep.kmps = explain_installed_kmps(*db, rep.root, index ? &*index : nullptr, req.devices);
  return rep;
}

}  // namespace kmpkit::drivers

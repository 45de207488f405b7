#include "install/zypper_install.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "install/hardware_source.hpp"
#include "util/error.hpp"
#include "util/process.hpp"

namespace fs = std::filesystem;

namespace kmpkit::install {
namespace {

constexpr const char* kRepoAlias = "kmpkit";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

// Debian's rpm warns "use Alien instead" on every package it touches: harmless, and noise in a quote.
std::string without_alien_warnings(const std::string& text) {
  std::string out;
  for (const auto& l : lines_of(text))
    if (l.find("use Alien") == std::string::npos && l.find("assuming you know what you are doing") == std::string::npos)
      out += l + "\n";
  return out;
}

ProcessResult without_alien_warnings(ProcessResult r) {
  r.out = without_alien_warnings(r.out);
  r.err = without_alien_warnings(r.err);
  return r;
}

// The device list as a plain file for ZYPP_MODALIAS_SYSFS, removed when the install ends.
struct DeviceListFile {
  std::string path;
  explicit DeviceListFile(const std::vector<std::string>& devices) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = fmt::format("{}/kmpkit-install-modalias-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = ::mkstemp(pattern.data());
    if (fd < 0) throw Error(ErrorKind::Write, fmt::format("cannot create a temporary file in {}", tmp ? tmp : "/tmp"));
    ::close(fd);
    path = pattern;
    std::ofstream out(path, std::ios::trunc);
    for (const auto& d : devices) out << d << "\n";
    if (!out) throw Error(ErrorKind::Write, fmt::format("cannot write {}", path));
  }
  ~DeviceListFile() {
    std::error_code ec;
    fs::remove(path, ec);
  }
};

// zypper on the root, never on the host: its own lock file and log; the devices from `device_list`.
ProcessResult zypper(const std::string& root, const std::string& device_list, std::vector<std::string> args) {
  // Signature checks stay on: each repository says whether it is checked (see install_for_hardware).
  std::vector<std::string> argv = {"zypper", "--root", root, "--non-interactive"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions o;
  o.env = {"ZYPP_LOCKFILE_ROOT=" + root, "ZYPP_LOGFILE=" + root + "/var/log/zypper.log"};
  if (!device_list.empty()) o.env.push_back("ZYPP_MODALIAS_SYSFS=" + device_list);
  return without_alien_warnings(run_process(argv, o));
}

std::string rpm_name(const std::string& file) {
  auto r = run_process({"rpm", "-qp", "--qf", "%{NAME}\\n", file});
  auto names = lines_of(r.out);
  return r.ok() && !names.empty() ? names.back() : std::string();
}

std::string choose_kernel(const InstallRequest& req) {
  if (!req.kernel.empty()) return req.kernel;
  auto kernels = kernel_packages(req.repo);
  if (kernels.size() == 1) return kernels[0];
  if (kernels.empty())
    throw Error(ErrorKind::Usage, fmt::format("{} has no kernel-* package (is it `kmpkit build`'s DIR/repo?)", req.repo));
  std::string list;
  for (const auto& k : kernels) list += (list.empty() ? "" : ", ") + k;
  throw Error(ErrorKind::Usage, fmt::format("{} has several kernel packages ({}): choose one with --kernel", req.repo, list));
}

std::vector<std::string> installed_names(const std::string& root) {
  auto r = run_process({"rpm", "--root", root, "--dbpath", "/var/lib/rpm", "-qa", "--qf", "%{NAME}\\n"});
  if (!r.ok()) throw Error(ErrorKind::Tool, describe_failure("rpm -qa", without_alien_warnings(r)));
  std::vector<std::string> names;
  for (auto& n : lines_of(r.out))
    if (n != "gpg-pubkey") names.push_back(std::move(n));  // a trusted key, not a package
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::vector<std::string> kernel_packages(const std::string& repo) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(repo, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::string file = it->path().filename().string();
    if (it->path().extension() != ".rpm" || file.rfind("kernel-", 0) != 0) continue;
    std::string name = rpm_name(it->path().string());
    if (name.rfind("kernel-", 0) == 0) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> install_packages(const std::string& root, const std::vector<std::string>& packages,
                                          const std::vector<std::string>& devices) {
  if (!program_available("zypper")) throw Error(ErrorKind::Input, "zypper is not installed");
  std::optional<DeviceListFile> list;
  if (!devices.empty()) list.emplace(devices);
  std::vector<std::string> args = {"in"};
  args.insert(args.end(), packages.begin(), packages.end());
  auto in = zypper(root, list ? list->path : std::string(), args);
  if (!in.ok()) throw Error(ErrorKind::Tool, describe_failure("zypper in", in));
  return installed_names(root);
}

InstallResult install_for_hardware(const InstallRequest& req) {
  std::error_code ec;
  if (!fs::exists(req.repo + "/repodata/repomd.xml", ec))
    throw Error(ErrorKind::Input, fmt::format("{} is no rpm-md repository (no repodata/repomd.xml; `kmpkit package "
                                              "--out DIR` writes one to DIR/repo)", req.repo));
  if (!program_available("zypper")) throw Error(ErrorKind::Input, "zypper is not installed (scripts/install-deps.sh)");
  InstallResult res;
  auto devices = read_hardware(req.hardware);
  res.devices = devices.size();
  res.kernel = choose_kernel(req);
  const std::string root = fs::absolute(req.root).lexically_normal().string();
  // Debian's rpm puts its database in ROOT/root/.rpmdb unless ROOT/var/lib/rpm exists.
  fs::create_directories(root + "/var/lib/rpm", ec);
  fs::create_directories(root + "/var/log", ec);
  if (ec) throw Error(ErrorKind::Write, fmt::format("cannot create {}: {}", root, ec.message()));
  DeviceListFile list(devices);
  const std::string url = "file://" + fs::absolute(req.repo).lexically_normal().string();
  // The alias is kmpkit's own: an earlier install's entry (perhaps another DIR) is replaced.
  zypper(root, list.path, {"rr", kRepoAlias});
  const bool is_signed = fs::exists(req.repo + "/repodata/repomd.xml.asc", ec);
  if (is_signed) {
    const std::string key = req.trust_key.empty() ? req.repo + "/RPM-GPG-KEY-kmpkit" : req.trust_key;
    if (!fs::exists(key, ec))
      throw Error(ErrorKind::Input, fmt::format("{} is signed but publishes no key ({}): give the signer's public key "
                                                "with --trust-key FILE",
                                                req.repo, key));
    auto imp = without_alien_warnings(
        run_process({"rpm", "--root", root, "--dbpath", "/var/lib/rpm", "--import", key}));
    if (!imp.ok()) throw Error(ErrorKind::Tool, describe_failure("rpm --import " + key, imp));
    res.signatures = fmt::format("checked (key {})", key);
  } else {
    res.signatures = "not checked: the repository is not signed (kmpkit package --gpg-key signs it)";
  }
  auto ar = zypper(root, list.path, {"ar", is_signed ? "--gpgcheck-strict" : "-G", url, kRepoAlias});
  if (!ar.ok()) throw Error(ErrorKind::Tool, describe_failure("zypper ar", ar));
  auto ref = zypper(root, list.path, {"ref"});
  if (!ref.ok()) throw Error(ErrorKind::Tool, describe_failure("zypper ref", ref));
  auto in = zypper(root, list.path, {"in", res.kernel});
  if (!in.ok()) throw Error(ErrorKind::Tool, describe_failure("zypper in " + res.kernel, in));
  res.installed = installed_names(root);
  return res;
}

}  // namespace kmpkit::install

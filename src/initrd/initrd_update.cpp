#include "initrd/initrd_update.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "initrd/initrd_firmware.hpp"
#include "initrd/weak_update_drivers.hpp"
#include "util/process.hpp"

namespace fs = std::filesystem;

namespace kmpkit::initrd {
namespace {

bool is_root(const std::string& root) { return root.empty() || root == "/"; }

// argv run inside the root: chroot ROOT argv... unless the root is "/".
std::vector<std::string> in_root_argv(const std::string& root, std::vector<std::string> argv) {
  if (is_root(root)) return argv;
  argv.insert(argv.begin(), {"chroot", root});
  return argv;
}

std::string dracut_in(const std::string& root) {
  InitrdPaths p{root, ""};
  for (const char* d : {"/usr/bin/dracut", "/usr/sbin/dracut", "/sbin/dracut", "/bin/dracut"})
    if (::access(p.in_root(d).c_str(), X_OK) == 0) return d;
  return {};
}

std::string mark_path(const std::string& root, const std::string& name) {
  return InitrdPaths{root, ""}.in_root("/var/lib/kmpkit/initrd/" + name);
}

void append_log(const InitrdPaths& paths, const UpdateOutcome& o) {
  std::error_code ec;
  std::string file = paths.in_root(paths.log());
  fs::create_directories(fs::path(file).parent_path(), ec);
  std::ofstream out(file, std::ios::app);
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  out << fmt::format("{} {} made {} bytes, {} modules, {:.1f} s: {}{}\n", when, o.kver, o.bytes, o.modules, o.seconds,
                     o.reasons.empty() ? "forced" : o.reasons.front(),
                     o.reasons.size() > 1 ? fmt::format(" (+{} more)", o.reasons.size() - 1) : "");
}

}  // namespace

InitrdContents list_initrd(const std::string& root, const std::string& image) {
  auto r = run_process(in_root_argv(root, {"lsinitrd", image}));
  if (!r.ok()) {
    InitrdContents c;
    c.error = describe_failure("lsinitrd", r);
    return c;
  }
  return parse_lsinitrd(r.out);
}

void set_mark(const std::string& root, const std::string& name) {
  std::error_code ec;
  std::string file = mark_path(root, name);
  fs::create_directories(fs::path(file).parent_path(), ec);
  std::ofstream(file, std::ios::trunc) << "\n";
}

bool take_mark(const std::string& root, const std::string& name) {
  std::error_code ec;
  return fs::remove(mark_path(root, name), ec);
}

UpdateOutcome update_initrd(const InitrdPaths& paths, const UpdateOptions& options) {
  UpdateOutcome o;
  o.kver = paths.kver;
  CheckResult check = check_initrd(paths);
  if (!check.kernel_installed) {
    o.state = UpdateOutcome::State::NoKernel;
    o.message = fmt::format("no kernel {} in {} (no {})", paths.kver, is_root(paths.root) ? "/" : paths.root,
                            paths.kernel_image());
    return o;
  }
  o.reasons = check.reasons;
  if (!check.needs_update() && !options.force) return o;
  if (options.force && o.reasons.empty()) o.reasons.push_back("asked for (--force)");
  std::string dracut = dracut_in(paths.root);
  if (dracut.empty()) {
    o.state = UpdateOutcome::State::NoDracut;
    o.message = fmt::format("dracut is not installed{}: no initrd made for {} (install dracut, then run "
                            "`kmpkit initrd update {}`)",
                            is_root(paths.root) ? "" : " in " + paths.root, paths.kver, paths.kver);
    return o;
  }
  if (options.dry_run) {
    o.state = UpdateOutcome::State::WouldMake;
    return o;
  }
  auto start = std::chrono::steady_clock::now();
  // Generic (not host-only): the installed modules are already those the machine's hardware and
  // role selected; host-only would describe the machine running dracut, which for an image build
  // is not the target.
  std::vector<std::string> argv{dracut, "--no-hostonly", "--force"};
  if (auto linked = weak_update_drivers(paths); !linked.empty()) {
    std::string names;
    for (const auto& n : linked) names += " " + n;
    argv.insert(argv.end(), {"--add-drivers", names + " "});
  }
  argv.insert(argv.end(), {"--kver", paths.kver, paths.image()});
  auto r = run_process(in_root_argv(paths.root, argv));
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!r.ok()) {
    o.state = UpdateOutcome::State::Failed;
    o.message = describe_failure("dracut", r) + fmt::format("\n(the previous initrd of {} is left as it was, if any)",
                                                           paths.kver);
    return o;
  }
  InitrdRecord record;
  record.image = paths.image();
  struct stat st {};
  if (::stat(paths.in_root(paths.image()).c_str(), &st) != 0) {
    o.state = UpdateOutcome::State::Failed;
    o.message = fmt::format("dracut succeeded but {} is not there", paths.image());
    return o;
  }
  record.image_size = static_cast<uint64_t>(st.st_size);
  record.image_mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  InitrdContents contents = list_initrd(paths.root, paths.image());
  if (!contents.error.empty()) {
    o.state = UpdateOutcome::State::Failed;
    o.message = contents.error;
    return o;
  }
  record.modules = contents.modules;
  record.dracut_modules = contents.dracut_modules;
  record.installed = installed_modules(paths).value_or(std::vector<ModuleFile>{});
  record.firmware = initrd_firmware(paths, record.modules, record.installed);
  record.has_firmware = true;
  if (!write_record(paths.in_root(paths.record()), record)) {
    o.state = UpdateOutcome::State::Failed;
    o.message = fmt::format("cannot write {} (disk full?)", paths.in_root(paths.record()));
    return o;
  }
  o.state = UpdateOutcome::State::Made;
  o.bytes = record.image_size;
  o.modules = record.modules.size();
  append_log(paths, o);
  return o;
}

}  // namespace kmpkit::initrd

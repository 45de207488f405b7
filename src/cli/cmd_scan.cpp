// kmpkit scan: inventory of a kernel module tree.
#include <fmt/format.h>

#include <iostream>
#include <map>

#include "cli/command.hpp"
#include "rpmdb/file_owners.hpp"
#include "cli/progress.hpp"
#include "module/inventory.hpp"
#include "module/module_json.hpp"
#include "cli/exit_codes.hpp"

namespace kmpkit::cli {
namespace {

struct ScanArgs {
  std::string basedir;
  std::string kver;
  bool json = false;
  unsigned threads = 0;
};

int run_scan(const ScanArgs& a) {
  Progress progress("reading modules");
  KernelInventory inv;
  try {
    inv = read_inventory(a.basedir, a.kver, {a.threads, [&](size_t d, size_t t) { progress.update(d, t); }});
  } catch (const Error& e) {
    fmt::print(stderr, "kmpkit scan: {}\n", e.what());
    return exit_code::of(e.kind());
  }
  progress.finish();
  if (!inv.errors.empty()) {
    // Each with the package to reinstall, when the root has an rpm database.
    std::vector<std::string> files;
    for (const auto& e : inv.errors) files.push_back(e.file);
    auto owners = rpmdb::file_owners(a.basedir, files);
    for (const auto& e : inv.errors)
      fmt::print(stderr, "kmpkit scan: {}: {}{}\n", e.file, e.message, rpmdb::reinstall_hint(owners, e.file));
  }

  if (a.json) {
    std::cout << inventory_to_json(inv).dump(1) << "\n";
  } else {
    size_t exports = 0, imports = 0, aliases = 0, signed_count = 0;
    uint64_t bytes = 0;
    std::map<std::string, size_t> by_ext;
    for (const auto& m : inv.modules) {
      exports += m.exports.size();
      imports += m.dependency_symbols.size();
      aliases += m.aliases().size();
      signed_count += m.is_signed;
      bytes += m.size;
      auto ko = m.path.rfind(".ko");
      by_ext[ko == std::string::npos ? "?" : m.path.substr(ko)]++;
    }
    size_t vmlinux = 0;
    for (const auto& s : inv.symvers) vmlinux += s.module == "vmlinux";
    fmt::print("kernel {} in {}\n", inv.tree.kver, inv.tree.module_dir);
    fmt::print("  modules          {:>8}  ({:.1f} MB", inv.modules.size(), bytes / 1e6);
    for (auto& [ext, n] : by_ext) fmt::print(", {} {}", n, ext);
    fmt::print(")\n");
    fmt::print("  unreadable       {:>8}\n", inv.errors.size());
    fmt::print("  exported symbols {:>8}  (modules) + {} (vmlinux, Module.symvers)\n", exports, vmlinux);
    fmt::print("  imported symbols {:>8}\n", imports);
    fmt::print("  aliases          {:>8}\n", aliases);
    fmt::print("  signed modules   {:>8}\n", signed_count);
    fmt::print("  builtin modules  {:>8}\n", inv.builtin.size());
    fmt::print("  modules.order    {:>8} lines\n", inv.order.size());
    fmt::print("  Module.symvers   {}\n", inv.tree.symvers.value_or("(not found)"));
    if (!inv.errors.empty())
      fmt::print("{} module(s) could not be read (listed on stderr); the rest is complete.\n", inv.errors.size());
  }
  return inv.errors.empty() ? exit_code::ok : exit_code::partial;
}

}  // namespace

void add_scan_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ScanArgs>();
  auto* cmd = app.add_subcommand("scan", "Read every module of lib/modules/KVER and summarise the tree");
  cmd->add_option("-b,--basedir", args->basedir, "Root the tree lives under (ROOT/lib/modules/KVER)");
  cmd->add_option("kver", args->kver, "Kernel release, e.g. 6.1.0-56-amd64")->required();
  cmd->add_flag("--json", args->json, "Print one JSON object (schema: docs/scan-json.md)");
  cmd->add_option("-j,--threads", args->threads, "Reader threads (default: all cores)");
  cmd->footer("Exit codes: 0 ok, 1 some modules unreadable (named on stderr, the rest reported), 3 no such tree.");
  cmd->callback([args, &exit_code] { exit_code = run_scan(*args); });
}

}  // namespace kmpkit::cli

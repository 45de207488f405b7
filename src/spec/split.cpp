#include "spec/split.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "depgen/depgen.hpp"
#include "depgen/softdep_targets.hpp"
#include "spec/host_base.hpp"
#include "spec/kernel_spec.hpp"
#include "spec/kmp_specs.hpp"
#include "spec/patterns_xml.hpp"
#include "spec/scripts.hpp"
#include "spec/spec_text.hpp"
#include "util/error.hpp"
#include "util/process.hpp"

namespace fs = std::filesystem;

namespace kmpkit::spec {
namespace {

// One pinned file: a hard link costs nothing; across file systems a copy without the debug
// information (which the specs never need: a build with it is ten times the size).
void pin_file(const fs::path& from, const fs::path& pinned) {
  std::error_code ec;
  fs::remove(pinned, ec);
  fs::create_hard_link(from, pinned, ec);
  if (!ec) return;
  if (program_available("strip")) {
    auto r = run_process({"strip", "--strip-debug", "-o", pinned.string(), from.string()});
    if (r.ok()) return;
    fs::remove(pinned, ec);
    // A full disk shows as strip's own message; say it plainly.
    if (r.err.find("No space left") != std::string::npos)
      throw Error(ErrorKind::Write, fmt::format("cannot copy {} to {}: No space left on device", from.string(),
                                                pinned.string()));
  }
  ec.clear();
  fs::copy_file(from, pinned, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(pinned, ignored);
    throw Error(ErrorKind::Write, fmt::format("cannot copy {} to {}: {}", from.string(), pinned.string(), ec.message()));
  }
}

// What the generator reads beside the specs: the kabi scheme's kmp-for() prefixes, the softdep
// aliases, the imported-symbols filter (provides = "imported").
void write_generator_inputs(const fs::path& dir, const package::PackagePlan& plan, const KernelInventory& inv,
                            const SplitOptions& o) {
  std::error_code ec;
  const fs::path prefix_map = dir / depgen::kModaliasPrefixFile;
  fs::remove(prefix_map, ec);
  if (plan.kabi_scheme) {
    std::string text;
    for (const auto& k : plan.kmps)
      for (size_t i : k.modules) text += inv.modules[i].name + " " + package::kmp_declaration(k.name) + "\n";
    write_file(prefix_map.string(), text);
  }
  write_file((dir / depgen::kSoftdepMapFile).string(), depgen::format_softdep_map(depgen::softdep_targets(inv)));
  const fs::path imported = dir / depgen::kImportedSymbolsFile;
  fs::remove(imported, ec);
  if (o.provides_imported && !depgen::write_symbol_list(imported.string(), depgen::imported_symbol_names(inv.modules)))
    throw Error(ErrorKind::Write, fmt::format("cannot write {}", imported.string()));
}

// kmpkit-tool.spec and host-base.spec, when asked for.
std::vector<SpecEntry> write_support_specs(const fs::path& dir, const package::PackagePlan& plan, const SplitOptions& o,
                                           std::vector<std::string>& warnings) {
  std::vector<SpecEntry> out;
  if (!o.host_base && !o.tool_package) return out;
  if (o.kmpkit_binary.empty()) {
    warnings.push_back("the kmpkit binary is unknown: no kmpkit package is built");
  } else {
    write_file((dir / "kmpkit-tool.spec").string(), tool_package_spec(plan.version, plan.release));
    out.push_back({"kmpkit-tool.spec", {kToolPackageName}, 1, 0});
  }
  if (!o.host_base) return out;
  HostBaseOptions hb;
  hb.version = plan.version;
  hb.release = plan.release;
  hb.tools = {{"/bin/sh", "/bin/dash"}};
  // Both engines a policy can choose: Debian's depmod here, kmpkit (its libraries here, the binary
  // in the kmpkit package), plus the database command's program when it is another path.
  std::error_code ec;
  if (fs::exists(kHostDepmodPath, ec)) hb.tools.push_back({kHostDepmodPath, kHostDepmodPath});
  if (!o.kmpkit_binary.empty()) hb.libraries_of.push_back(o.kmpkit_binary);
  for (const auto& prog : script_programs(o, plan.kabi_scheme))
    if (prog != kHostDepmodPath && prog != kKmpkitTool && fs::path(prog).filename() != "kmpkit") hb.tools.push_back({prog, prog});
  write_file((dir / "host-base.spec").string(), host_base_spec(hb));
  out.push_back({"host-base.spec", {kHostBaseName}, hb.tools.size(), 0});
  return out;
}

}  // namespace

void pin_generator(const std::string& dir_text, const std::string& binary) {
  const fs::path dir = dir_text;
  std::error_code ec;
  fs::create_directories(dir / "bin", ec);
  pin_file(binary, dir / "bin" / "kmpkit");
  const fs::path lean = fs::path(binary).parent_path() / "kmpkit-depgen";
  const fs::path pinned_lean = dir / "bin" / "kmpkit-depgen";
  if (fs::is_regular_file(lean, ec)) {
    pin_file(lean, pinned_lean);
    return;
  }
  // A kmpkit without its lean generator beside it: rpm runs `kmpkit depgen` through a script.
  fs::remove(pinned_lean, ec);
  write_file(pinned_lean.string(), "#!/bin/sh\nexec \"$(dirname \"$0\")/kmpkit\" depgen \"$@\"\n");
  fs::permissions(pinned_lean, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                   fs::perms::others_read | fs::perms::others_exec, ec);
  if (ec) throw Error(ErrorKind::Write, fmt::format("cannot make {} executable: {}", pinned_lean.string(), ec.message()));
}

std::string packaged_suffix(const std::string& path, const std::string& compress_modules) {
  if (!path.ends_with(".ko")) return {};  // already compressed in the tree: kept as it is
  if (compress_modules == "zstd") return ".zst";
  if (compress_modules == "xz") return ".xz";
  return {};
}

std::string spec_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '%') out += "%%";
    else out += c;
  }
  return out;
}

namespace {

constexpr const char* kStagingName = ".kmpkit-split-new";

// The staged split replaces the previous one in DIR: its specs, lists, pinned generator, manifest
// and generator inputs (also those this split has none of); DIR/repo, logs and anything else stay.
void commit_split(const fs::path& dir, const fs::path& stage) {
  std::error_code ec;
  std::vector<fs::path> old;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".spec") old.push_back(e.path());
  for (const char* name : {"lists", "bin", "patterns.xml", kManifestName, depgen::kModaliasPrefixFile,
                           depgen::kSoftdepMapFile, depgen::kImportedSymbolsFile})
    old.push_back(dir / name);
  for (const auto& e : fs::directory_iterator(stage, ec)) old.push_back(dir / e.path().filename());
  for (const auto& p : old) {
    fs::remove_all(p, ec);
    if (ec) throw Error(ErrorKind::Write, fmt::format("cannot replace {}: {}", p.string(), ec.message()));
  }
  for (const auto& e : fs::directory_iterator(stage, ec)) {
    fs::rename(e.path(), dir / e.path().filename(), ec);
    if (ec) throw Error(ErrorKind::Write, fmt::format("cannot move {} into {}: {}", e.path().string(), dir.string(),
                                                      ec.message()));
  }
  fs::remove(stage, ec);
}

SplitResult write_split_into(const package::PackagePlan& plan, const KernelInventory& inv, const SplitOptions& o);

}  // namespace

// Everything is written into DIR/.kmpkit-split-new first and moved into place at the end: a failed
// split (a full disk, say) leaves the previous split as it was, and no DIR when there was none.
SplitResult write_split(const package::PackagePlan& plan, const KernelInventory& inv, const SplitOptions& o) {
  const fs::path dir = o.out_dir;
  std::error_code ec;
  const bool existed = fs::exists(dir, ec);
  const fs::path stage = dir / kStagingName;
  auto clean_up = [&] {
    std::error_code ignored;
    fs::remove_all(existed ? stage : dir, ignored);
  };
  try {
    fs::remove_all(stage, ec);
    fs::create_directories(stage, ec);
    if (ec) throw Error(ErrorKind::Write, fmt::format("cannot create {}: {}", stage.string(), ec.message()));
    SplitOptions staged = o;
    staged.out_dir = stage.string();
    SplitResult result = write_split_into(plan, inv, staged);
    commit_split(dir, stage);
    return result;
  } catch (...) {
    clean_up();
    throw;
  }
}

namespace {

SplitResult write_split_into(const package::PackagePlan& plan, const KernelInventory& inv, const SplitOptions& o) {
  SplitResult result;
  const fs::path dir = o.out_dir;
  prepare_split_directory(dir.string());
  if (!o.kmpkit_binary.empty()) pin_generator(dir.string(), o.kmpkit_binary);
  write_generator_inputs(dir, plan, inv, o);

  const std::string module_root = fs::absolute(inv.tree.module_dir).lexically_normal().string();
  auto& m = result.manifest;
  if (plan.kernel.publish)  // not with --only (an update of some KMPs)
    m.specs.push_back(write_kernel_spec(plan, inv, o, module_root, result.warnings));
  for (auto& e : write_kmp_specs(plan, inv, o, module_root)) m.specs.push_back(std::move(e));
  for (auto& e : write_support_specs(dir, plan, o, result.warnings)) m.specs.push_back(std::move(e));
  if (plan.kernel.publish) write_file((dir / "patterns.xml").string(), patterns_xml(plan));

  m.kmpkit_version = KMPKIT_VERSION;
  m.kver = plan.kver;
  m.flavor = plan.flavor;
  m.version = plan.version;
  m.release = plan.release;
  m.root = o.root.empty() ? "/" : fs::absolute(o.root).lexically_normal().string();
  m.kernel_package = plan.kernel.name;
  m.jobs = o.jobs;
  m.patterns_xml = plan.patterns.empty() || !plan.kernel.publish ? "" : "patterns.xml";
  m.scheme = plan.kabi_scheme ? "kabi" : "kernel-version";
  for (const auto& k : plan.kmps)
    if (!k.publish) m.kmps_not_built.push_back(k.name);
  write_manifest(dir.string(), m);
  return result;
}

}  // namespace

}  // namespace kmpkit::spec

#pragma once
// The pieces of spec text every spec kmpkit writes shares (src/spec/, and src/firmware/ for the
// firmware packages): escaping, the preamble and package headers, the generator exclusions, module
// compression in %install, the split directory, and writing files atomically.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "module/inventory.hpp"
#include "package/plan.hpp"
#include "spec/split.hpp"

namespace kmpkit::spec {

// The module database files (kmod 30) and kmpkit depmod's per-module cache: owned by the kernel
// package as %ghost, whichever engine the policy's trigger runs.
const std::vector<std::string>& ghost_database_files();

// Written to a temporary name and renamed (throws Error(Write)).
void write_file(const std::string& path, const std::string& text);

// DIR and DIR/lists created; the specs and lists of an earlier split there removed (throws Error(Write)).
void prepare_split_directory(const std::string& out_dir);

// rpm globs file-list paths and splits them on whitespace: a path it would misread is refused
// (throws Error(Input)).
void check_list_path(const std::string& path);

// "Thu Nov 16 2025" for %changelog, from a file's mtime (reproducible) or now.
std::string changelog_date(const std::optional<std::string>& file);

// ROOT/usr/share/doc/linux-image-KVER[-unsigned]/copyright, "" when absent.
std::string find_license_file(const std::string& root, const std::string& kver);

// The preamble of every spec: the generator, its options, the macros keeping modules intact.
std::string spec_header(const package::PackagePlan& plan, const SplitOptions& o, const std::string& module_root);

// Name/Version/Release (main) or %package -n (sub), Summary, License, and the plan's extra
// dependencies of a package; its %description.
std::string package_preamble(const package::PlannedPackage& p, const package::PackagePlan& plan, bool main, bool noarch);
std::string description(const package::PlannedPackage& p, bool main);

// rpm 4.18 runs each dependency generator once per file: calls known to print nothing are skipped
// with %__<kind>_exclude_from (every dependency still comes from the generator).
std::string generator_exclusions(const std::vector<size_t>& modules, const KernelInventory& inv,
                                 const std::string& kdir, const std::string& compress_modules);

// The %install lines that compress the modules a list file names ("" when nothing is compressed).
std::string compress_step(const SplitOptions& o, const std::string& kdir, const std::string& list);

}  // namespace kmpkit::spec

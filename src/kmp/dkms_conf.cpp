#include "kmp/dkms_conf.hpp"

#include <filesystem>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "util/ere.hpp"
#include "util/error.hpp"
#include "util/process.hpp"

namespace fs = std::filesystem;

namespace kmpkit::kmp {
namespace {

// The arrays (and scalars, index 0) DKMS reads from dkms.conf that kmpkit uses.
constexpr const char* kVariables[] = {
    "PACKAGE_NAME",          "PACKAGE_VERSION",      "BUILT_MODULE_NAME", "BUILT_MODULE_LOCATION",
    "DEST_MODULE_LOCATION",  "DEST_MODULE_NAME",     "STRIP",             "MAKE",
    "MAKE_MATCH",            "BUILD_EXCLUSIVE_KERNEL", "BUILD_EXCLUSIVE_ARCH", "BUILD_EXCLUSIVE_CONFIG",
    "PATCH",                 "PATCH_MATCH",          "PRE_BUILD",         "POST_BUILD",
};

// Sources dkms.conf with DKMS's variables (its exit status is ignored, as DKMS does), then prints
// every index of every variable above as NAME[INDEX]\0VALUE\0 (declare -n: a scalar is its own
// index 0). What the script itself prints goes to stderr; the dump to fd 3, the real stdout.
std::string evaluation_script() {
  std::string names;
  for (const char* v : kVariables) names += std::string(" ") + v;
  return "exec 3>&1 1>&2\n"
         "kernelver=$1 arch=$2 kernel_source_dir=$3 dkms_tree=$4 source_tree=$5\n"
         "cd \"$(dirname \"$6\")\" || exit 97\n"
         ". \"$6\"\n"
         "for __n in" + names + "; do\n"
         "  declare -n __r=$__n\n"
         "  for __i in \"${!__r[@]}\"; do printf '%s[%s]\\0%s\\0' \"$__n\" \"$__i\" \"${__r[$__i]}\" >&3; done\n"
         "  unset -n __r\n"
         "done\n";
}

std::string value(const DkmsVariables& vars, const std::string& name, size_t index = 0) {
  auto it = vars.find(fmt::format("{}[{}]", name, index));
  return it == vars.end() ? std::string() : it->second;
}

// The indices set for an array, sorted.
std::set<size_t> indices(const DkmsVariables& vars, const std::string& name) {
  std::set<size_t> out;
  const std::string prefix = name + "[";
  for (auto it = vars.lower_bound(prefix); it != vars.end() && it->first.rfind(prefix, 0) == 0; ++it) {
    std::string idx = it->first.substr(prefix.size(), it->first.size() - prefix.size() - 1);
    try {
      out.insert(std::stoul(idx));
    } catch (const std::exception&) {
    }
  }
  return out;
}

// bash's =~: glibc's extended regular expressions (util/ere.hpp; false for a pattern it cannot compile).
bool matches(const std::string& text, const std::string& ere) { return ere_search(ere, text); }

// Is CONFIG_X set (=y or =m) in the .config text?
bool config_set(const std::string& config, const std::string& name) {
  std::istringstream in(config);
  for (std::string line; std::getline(in, line);)
    if (line == name + "=y" || line == name + "=m") return true;
  return false;
}

}  // namespace

DkmsVariables parse_variable_dump(const std::string& dump) {
  DkmsVariables out;
  size_t pos = 0;
  while (pos < dump.size()) {
    size_t key_end = dump.find('\0', pos);
    if (key_end == std::string::npos) break;
    size_t val_end = dump.find('\0', key_end + 1);
    if (val_end == std::string::npos) val_end = dump.size();
    out[dump.substr(pos, key_end - pos)] = dump.substr(key_end + 1, val_end - key_end - 1);
    pos = val_end + 1;
  }
  return out;
}

DkmsConf dkms_conf_from_variables(const DkmsVariables& vars, const std::string& kernelver, const std::string& file) {
  DkmsConf c;
  c.package_name = value(vars, "PACKAGE_NAME");
  c.package_version = value(vars, "PACKAGE_VERSION");
  if (c.package_name.empty()) throw Error(ErrorKind::Usage, fmt::format("{} sets no PACKAGE_NAME", file));
  if (c.package_version.empty()) throw Error(ErrorKind::Usage, fmt::format("{} sets no PACKAGE_VERSION", file));
  auto names = indices(vars, "BUILT_MODULE_NAME");
  if (names.empty() || !names.count(0))
    throw Error(ErrorKind::Usage, fmt::format("{} sets no BUILT_MODULE_NAME[0]: which module does it build?", file));
  for (const char* array : {"BUILT_MODULE_LOCATION", "DEST_MODULE_LOCATION", "DEST_MODULE_NAME", "STRIP"})
    for (size_t i : indices(vars, array))
      if (!names.count(i))
        throw Error(ErrorKind::Usage, fmt::format("{} sets {}[{}] but no BUILT_MODULE_NAME[{}]", file, array, i, i));
  for (size_t i : names) {
    DkmsModule m;
    m.name = value(vars, "BUILT_MODULE_NAME", i);
    m.built_location = value(vars, "BUILT_MODULE_LOCATION", i);
    m.dest_location = value(vars, "DEST_MODULE_LOCATION", i);
    m.dest_name = value(vars, "DEST_MODULE_NAME", i);
    if (m.dest_name.empty()) m.dest_name = m.name;
    std::string strip = value(vars, "STRIP", i);
    if (strip.empty() && i > 0) strip = value(vars, "STRIP", 0);  // DKMS: STRIP[0] is every module's default
    m.strip = strip != "no" && strip != "NO" && strip != "No";
    if (m.name.empty() || m.name.find('/') != std::string::npos)
      throw Error(ErrorKind::Usage, fmt::format("{}: BUILT_MODULE_NAME[{}] \"{}\" is not a module name", file, i, m.name));
    c.modules.push_back(std::move(m));
  }
  // MAKE[i] with MAKE_MATCH[i] matching kernelver wins (the last one), else MAKE[0].
  c.make_command = value(vars, "MAKE");
  for (size_t i : indices(vars, "MAKE")) {
    std::string match = value(vars, "MAKE_MATCH", i);
    if (!match.empty() && matches(kernelver, match)) c.make_command = value(vars, "MAKE", i);
  }
  c.build_exclusive_kernel = value(vars, "BUILD_EXCLUSIVE_KERNEL");
  c.build_exclusive_arch = value(vars, "BUILD_EXCLUSIVE_ARCH");
  std::istringstream cfg(value(vars, "BUILD_EXCLUSIVE_CONFIG"));
  for (std::string w; cfg >> w;) c.build_exclusive_config.push_back(w);
  // PATCH[i] applies when PATCH_MATCH[i] is empty or matches kernelver (DKMS's rule).
  for (size_t i : indices(vars, "PATCH")) {
    std::string patch = value(vars, "PATCH", i), match = value(vars, "PATCH_MATCH", i);
    if (patch.empty()) continue;
    if (patch.find('/') != std::string::npos || patch == "..")
      throw Error(ErrorKind::Usage,
                  fmt::format("{}: PATCH[{}] \"{}\" is not a file name in the source's patches/ directory", file, i, patch));
    if (match.empty() || matches(kernelver, match)) c.patches.push_back(patch);
  }
  c.pre_build = value(vars, "PRE_BUILD");
  c.post_build = value(vars, "POST_BUILD");
  return c;
}

DkmsConf read_dkms_conf(const std::string& file, const DkmsContext& ctx) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) throw Error(ErrorKind::Input, fmt::format("{} does not exist", file));
  if (!program_available("bash")) throw Error(ErrorKind::Input, "bash not found in PATH (dkms.conf is a bash script)");
  const std::string abs = fs::absolute(file).lexically_normal().string();
  auto r = run_process({"bash", "-c", evaluation_script(), "kmpkit-dkms-conf", ctx.kernelver, ctx.arch,
                        ctx.kernel_source_dir, ctx.dkms_tree, ctx.source_tree, abs});
  if (!r.ok())
    throw Error(ErrorKind::Usage, fmt::format("bash could not source {} as DKMS does: {}", file, describe_failure("bash", r)));
  try {
    return dkms_conf_from_variables(parse_variable_dump(r.out), ctx.kernelver, file);
  } catch (const Error& e) {
    // DKMS ignores what the script's commands say; a missing variable may be explained there.
    std::string said = r.err.empty() ? "" : fmt::format(" (bash said: {})", r.err.substr(0, r.err.find_last_not_of('\n') + 1));
    throw Error(e.kind(), e.what() + said);
  }
}

std::optional<std::string> exclusion_reason(const DkmsConf& c, const std::string& kernelver, const std::string& arch,
                                            const std::string& kernel_config) {
  if (!c.build_exclusive_kernel.empty() && !matches(kernelver, c.build_exclusive_kernel))
    return fmt::format("BUILD_EXCLUSIVE_KERNEL=\"{}\" does not match {}", c.build_exclusive_kernel, kernelver);
  if (!c.build_exclusive_arch.empty() && !matches(arch, c.build_exclusive_arch))
    return fmt::format("BUILD_EXCLUSIVE_ARCH=\"{}\" does not match {}", c.build_exclusive_arch, arch);
  for (const auto& w : c.build_exclusive_config) {
    bool negated = w.starts_with("!");
    std::string name = negated ? w.substr(1) : w;
    if (config_set(kernel_config, name) == negated)
      return fmt::format("BUILD_EXCLUSIVE_CONFIG needs {}{}, which {}'s .config {}", negated ? "no " : "", name,
                         kernelver, negated ? "sets" : "does not set");
  }
  return std::nullopt;
}

std::string updates_directory(const std::string& dest_location) {
  fs::path rel = fs::path(dest_location).relative_path();
  fs::path rest;
  bool first = true;
  for (const auto& part : rel) {
    if (first) {
      first = false;
      continue;
    }
    if (part == ".." || part == ".") continue;
    rest /= part;
  }
  fs::path out = fs::path("updates") / rest;
  std::string s = out.lexically_normal().string();
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace kmpkit::kmp

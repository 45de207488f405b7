#include "kmp/kernel_headers.hpp"

#include "util/text.hpp"

#include <sys/utsname.h>

#include <fstream>
#include <filesystem>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kmpkit::kmp {
namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}


// A path as the system under ROOT sees it: an absolute link target is inside ROOT.
fs::path under_root(const std::string& root, const fs::path& p) {
  if (root.empty() || root == "/" || !p.is_absolute()) return p;
  return fs::path(root) / p.relative_path();
}

// Candidates for KVER's build tree, in the order kbuild users expect.
std::vector<fs::path> candidates(const std::string& root, const std::string& kver) {
  std::vector<fs::path> out;
  const fs::path r = root.empty() ? fs::path("/") : fs::path(root);
  const fs::path link = r / "lib/modules" / kver / "build";
  std::error_code ec;
  if (fs::is_symlink(link, ec)) {
    fs::path target = fs::read_symlink(link, ec);
    if (!ec) out.push_back(target.is_absolute() ? under_root(root, target) : link.parent_path() / target);
  } else if (fs::is_directory(link, ec)) {
    out.push_back(link);
  }
  out.push_back(r / "usr/src" / ("linux-headers-" + kver));
  out.push_back(r / "usr/src/kernels" / kver);  // kernel-devel (Fedora, SUSE's -obj trees differ)
  return out;
}

// The release the tree was configured for (UTS_RELEASE), "" when unknown.
std::string tree_release(const fs::path& dir) {
  std::string text = read_all(dir / "include/generated/utsrelease.h");
  std::smatch m;
  static const std::regex re(R"re(#define\s+UTS_RELEASE\s+"([^"]*)")re");
  return std::regex_search(text, m, re) ? m[1].str() : std::string();
}

std::string config_value(const std::string& config, const std::string& name) {
  std::istringstream in(config);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(name + "=", 0) == 0) {
      std::string v = line.substr(name.size() + 1);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  return {};
}

// Debian's "include /usr/src/linux-headers-KVER-common/Makefile": when that absolute path exists
// only under ROOT, a shadow directory with the include redirected (the tree stays untouched).
std::string make_directory(const std::string& root, const fs::path& dir, const std::string& work_dir) {
  if (root.empty() || root == "/") return dir.string();
  std::string makefile = read_all(dir / "Makefile");
  static const std::regex include_re(R"(^(\s*-?include\s+)(/\S+))", std::regex::multiline);
  std::string rewritten;
  bool redirected = false;
  std::sregex_iterator it(makefile.begin(), makefile.end(), include_re), end;
  size_t last = 0;
  std::error_code ec;
  for (; it != end; ++it) {
    const auto& m = *it;
    fs::path target = m[2].str();
    rewritten += makefile.substr(last, static_cast<size_t>(m.position(0)) - last);
    if (!fs::exists(target, ec) && fs::exists(under_root(root, target), ec)) {
      rewritten += m[1].str() + under_root(root, target).string();
      redirected = true;
    } else {
      rewritten += m[0].str();
    }
    last = static_cast<size_t>(m.position(0) + m.length(0));
  }
  rewritten += makefile.substr(last);
  if (!redirected) return dir.string();
  const fs::path shadow = fs::path(work_dir) / "kernel-build";
  fs::remove_all(shadow, ec);
  fs::create_directories(shadow, ec);
  if (ec) throw Error(ErrorKind::Write, fmt::format("cannot create {}: {}", shadow.string(), ec.message()));
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename() == "Makefile") continue;
    fs::path target = fs::weakly_canonical(e.path(), ec);
    fs::create_symlink(target, shadow / e.path().filename(), ec);
    if (ec) throw Error(ErrorKind::Write, fmt::format("cannot link {}: {}", (shadow / e.path().filename()).string(), ec.message()));
  }
  std::ofstream out(shadow / "Makefile");
  out << rewritten;
  if (!out) throw Error(ErrorKind::Write, fmt::format("cannot write {}", (shadow / "Makefile").string()));
  return shadow.string();
}

}  // namespace

std::string default_kernel_release(const std::string& root) {
  std::error_code ec;
  if (root.empty() || root == "/") {
    struct utsname u {};
    if (uname(&u) != 0) throw Error(ErrorKind::Input, "uname failed: name the kernel release");
    return u.release;
  }
  if (std::string k(trim(read_all(fs::path(root) / "KVER"))); !k.empty()) return k;
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(fs::path(root) / "lib/modules", ec))
    if (e.is_directory(ec)) found.push_back(e.path().filename().string());
  std::sort(found.begin(), found.end());
  if (found.size() == 1) return found.front();
  if (found.empty()) throw Error(ErrorKind::Input, fmt::format("{}/lib/modules holds no kernel: name one (KVER)", root));
  std::string list;
  for (const auto& f : found) list += (list.empty() ? "" : ", ") + f;
  throw Error(ErrorKind::Usage, fmt::format("{}/lib/modules holds several kernels ({}): name one (KVER)", root, list));
}

KernelHeaders find_kernel_headers(const std::string& root, const std::string& kver, const std::string& work_dir) {
  std::error_code ec;
  fs::path dir;
  std::string tried;
  for (const auto& c : candidates(root, kver)) {
    tried += (tried.empty() ? "" : ", ") + c.string();
    if (fs::is_regular_file(c / "Makefile", ec)) {
      dir = c;
      break;
    }
  }
  if (dir.empty())
    throw Error(ErrorKind::Input,
                fmt::format("no build tree (kernel headers) for {} (looked at {}): install linux-headers-{} "
                            "(Debian) or the kernel's -devel package, or name the root holding it with -b",
                            kver, tried, kver));
  KernelHeaders h;
  h.kver = kver;
  h.build_dir = dir.string();
  std::string release = tree_release(dir);
  if (release.empty())
    throw Error(ErrorKind::Input, fmt::format("{} has no include/generated/utsrelease.h: not a prepared build tree "
                                              "(install linux-headers-{})", dir.string(), kver));
  if (release != kver)
    throw Error(ErrorKind::Input, fmt::format("the headers in {} are of kernel {}, not {}: install linux-headers-{}",
                                              dir.string(), release, kver, kver));
  h.config_file = (dir / ".config").string();
  h.symvers = (dir / "Module.symvers").string();
  for (const auto& f : {h.config_file, h.symvers})
    if (!fs::is_regular_file(f, ec))
      throw Error(ErrorKind::Input, fmt::format("{} is missing: the build tree of {} is incomplete (reinstall linux-headers-{})",
                                                f, kver, kver));
  if (fs::exists(dir / "scripts/sign-file", ec)) h.sign_file = (dir / "scripts/sign-file").string();
  h.sig_hash = config_value(read_all(h.config_file), "CONFIG_MODULE_SIG_HASH");
  h.make_dir = make_directory(root, dir, work_dir);
  return h;
}

}  // namespace kmpkit::kmp

// Property test: trees generated from the real test modules (fixed seeds), each compared file by
// file with Debian's depmod; then the tree is changed and the incremental run is compared again.
#include <random>

#include "depmod_test_util.hpp"

namespace kmpkit::depmod::testing {
namespace {

const std::vector<std::string> kModules = {"kmpt_core", "kmpt_mid", "kmpt_leaf", "kmpt_weak",
                                           "kmpt_alias", "kmpt_extra", "kmpt-dash"};
const std::vector<std::string> kVariants = {"plain", "xz", "zst"};
const std::vector<std::string> kExt = {".ko", ".ko.xz", ".ko.zst"};
const std::vector<std::string> kKernelDirs = {"kernel/drivers/kmpt", "kernel/fs", "kernel/net/a/b", "kernel"};
const std::vector<std::string> kCopyDirs = {"updates", "updates/kmp", "extra", "extra/sub", "weak-updates/x",
                                            "updates2", "misc"};

struct Tree {
  std::string root, kver, conf;
  std::vector<std::string> files;  // relative to the module dir
};

class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng_)]; }
  size_t index(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

std::string source_of(const std::string& module, size_t variant) {
  return kmpkit::test::test_modules_dir() + "/" + kVariants[variant] + "/" + module + kExt[variant];
}

void place(Tree& t, const std::string& module, size_t variant, const std::string& dir, const std::string& file_name = {}) {
  std::string rel = dir + "/" + (file_name.empty() ? module : file_name) + kExt[variant];
  std::string dst = moddir(t.root, t.kver) + "/" + rel;
  fs::create_directories(fs::path(dst).parent_path());
  fs::copy_file(source_of(module, variant), dst, fs::copy_options::overwrite_existing);
  t.files.push_back(rel);
}

Tree generate(unsigned seed) {
  Generator g(seed);
  Tree t;
  t.root = kmpkit::test::temp_dir("kmpkit-depmod-prop");
  t.kver = kmpkit::test::kernel_release();
  std::string md = moddir(t.root, t.kver);
  fs::create_directories(md);

  // Modules in kernel/: a random subset, random compression and folder.
  std::vector<std::string> in_kernel;
  for (const auto& m : kModules) {
    if (!g.chance(0.75)) continue;
    place(t, m, g.index(3), g.pick(kKernelDirs));
    in_kernel.push_back(m);
  }
  // Copies (same module name elsewhere: duplicates resolved by depmod's priority rules).
  size_t copies = g.index(4);
  for (size_t i = 0; i < copies; ++i) {
    const std::string& m = g.pick(kModules);
    std::string name = m;
    if (m == "kmpt-dash" && g.chance(0.5)) name = "kmpt_dash";  // same module name, other file name
    place(t, m, g.index(3), g.pick(kCopyDirs), name);
  }
  // Configuration.
  std::string conf;
  if (g.chance(0.6)) {
    t.conf = t.root + "/depmod.d";
    fs::create_directories(t.conf);
    std::vector<std::string> lines;
    switch (g.index(7)) {
      case 0: lines.push_back("search updates extra built-in"); break;
      case 1: lines.push_back("search extra built-in updates"); break;
      case 2: lines.push_back("search updates built-in"); lines.push_back("search extra"); break;
      case 3: lines.push_back("search weak-updates updates extra built-in external"); break;
      case 4: lines.push_back("search external built-in"); break;
      case 5: lines.push_back("search updates external extra built-in"); break;
      default: break;  // no search line: "search updates"
    }
    if (g.chance(0.4)) lines.push_back("override " + g.pick(kModules) + " * " + g.pick(kCopyDirs));
    if (g.chance(0.2)) lines.push_back("override kmpt_core " + t.kver + " extra");
    if (g.chance(0.2)) lines.push_back("override kmpt_mid 0.0.0-nomatch kernel/fs");
    if (g.chance(0.3)) lines.push_back("exclude " + std::string(g.chance(0.5) ? "sub" : "extra"));
    for (const char* ext_name : {"/ext", "/ext2"}) {
      if (!g.chance(0.3)) continue;
      std::string ext = t.root + ext_name;
      lines.push_back(std::string("external ") + (g.chance(0.8) ? "*" : "^6\\.1") + " " + ext);
      for (int k = 0; k < 2; ++k) {
        const std::string& m = g.pick(kModules);
        size_t v = g.index(3);
        std::string dst = ext + (k ? "/sub/" : "/") + m + kExt[v];
        fs::create_directories(fs::path(dst).parent_path());
        fs::copy_file(source_of(m, v), dst, fs::copy_options::overwrite_existing);
      }
    }
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    write_text(t.conf + "/" + (g.chance(0.5) ? "00-kmpkit.conf" : "zz.conf"), text);
    if (g.chance(0.3)) write_text(t.conf + "/10-more.conf", "# comment\n\nsearch misc\n");
  }
  // modules.order: missing, listing (random order, absent entries, repeats), unterminated, empty.
  int order_kind = static_cast<int>(g.index(5));
  if (order_kind != 0) {
    std::vector<std::string> lines;
    for (const auto& f : t.files) {
      if (f.rfind("kernel", 0) != 0 && !g.chance(0.2)) continue;
      std::string ko = f.substr(0, f.find(".ko") + 3);  // modules.order names .ko
      lines.push_back(ko);
    }
    lines.push_back("kernel/absent/nothing.ko");
    if (!lines.empty() && g.chance(0.5)) lines.push_back(lines[g.index(lines.size())]);
    std::shuffle(lines.begin(), lines.end(), g.rng());
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    if (order_kind == 2 && !text.empty()) text.pop_back();  // unterminated last line
    if (order_kind == 3) text.clear();
    if (order_kind == 4 && g.chance(0.5)) text = "\n" + text;
    write_text(md + "/modules.order", text);
  }
  // Builtin files: the real kernel's, small hand-made ones, or missing.
  std::string real = kmpkit::test::module_dir();
  switch (g.index(4)) {
    case 0:
      fs::copy_file(real + "/modules.builtin", md + "/modules.builtin");
      fs::copy_file(real + "/modules.builtin.modinfo", md + "/modules.builtin.modinfo");
      break;
    case 1:
      write_text(md + "/modules.builtin", "kernel/fs/ext4/ext4.ko\nkernel/drivers/x-y.ko\n#bad\nkernel/a/b\n");
      write_text(md + "/modules.builtin.modinfo",
           std::string("ext4.alias=fs-ext4\0ext4.license=GPL\0x_y.alias=pci:v*d00001234sv*sd*bc*sc*i*\0"
                       "x_y.alias=my-alias\0z.license=GPL\0",
                       100));
      break;
    case 2:
      fs::copy_file(real + "/modules.builtin", md + "/modules.builtin");
      break;
    default:
      break;
  }
  return t;
}

class GeneratedTree : public ::testing::TestWithParam<unsigned> {};

TEST_P(GeneratedTree, MatchesDepmodFullAndIncremental) {
  Tree t = generate(GetParam());
  SCOPED_TRACE("tree " + t.root);
  EXPECT_EQ(oracle_vs_kmpkit(t.root, t.kver, t.conf), "");

  // Change the tree and compare the incremental run (the cache from the run above) again.
  Generator g(GetParam() * 7919u + 1);
  std::string md = moddir(t.root, t.kver);
  if (!t.files.empty() && g.chance(0.7)) fs::remove(md + "/" + t.files[g.index(t.files.size())]);
  if (g.chance(0.7)) place(t, g.pick(kModules), g.index(3), g.pick(kCopyDirs));
  if (g.chance(0.3)) place(t, g.pick(kModules), g.index(3), g.pick(kKernelDirs));
  kmpkit::test::CommandResult k;
  EXPECT_EQ(oracle_vs_kmpkit(t.root, t.kver, t.conf, "-v", &k), "");
  EXPECT_NE(k.err.find("cache: used"), std::string::npos) << k.err;
}

// A fixed list of seeds: every run tests the same 60 trees.
INSTANTIATE_TEST_SUITE_P(depmodSeeds, GeneratedTree, ::testing::Range(1u, 61u));

}  // namespace
}  // namespace kmpkit::depmod::testing

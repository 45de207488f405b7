// The policy file: parsing, strict checking, templates, globs, and the shipped default policy.
#include <gtest/gtest.h>

#include <algorithm>

#include "policy/glob.hpp"
#include "policy/policy.hpp"
#include "test_env.hpp"

namespace kmpkit::policy {
namespace {

std::string all_problems(const LoadResult& r) {
  std::string s;
  for (const auto& p : r.problems) s += p.message + "\n";
  return s;
}

bool has_problem(const LoadResult& r, const std::string& text) {
  return std::any_of(r.problems.begin(), r.problems.end(),
                     [&](const Problem& p) { return p.message.find(text) != std::string::npos; });
}

TEST(Policy, APolicyWithoutItsFormatIsRefused) {
  auto empty = load_policy_string("", "empty.toml");
  EXPECT_FALSE(empty.policy);
  EXPECT_TRUE(has_problem(empty, "empty.toml: the policy is empty (a kmpkit policy starts with 'format = 1'"))
      << all_problems(empty);
  auto none = load_policy_string("[kernel]\nflavor = \"x\"\n", "none.toml");
  EXPECT_FALSE(none.policy);
  EXPECT_TRUE(has_problem(none, "none.toml: no 'format' at the top level (a kmpkit policy starts with 'format = 1'"))
      << all_problems(none);
  auto later = load_policy_string("format = 2\n", "later.toml");
  EXPECT_TRUE(has_problem(later, "'format' in the top level must be between 1 and 1")) << all_problems(later);
}

TEST(Policy, FormatAloneGivesTheDefaults) {
  auto r = load_policy_string("format = 1\n", "empty.toml");
  ASSERT_TRUE(r.policy) << all_problems(r);
  EXPECT_EQ(r.policy->kmp_name, "{module}-kmp-{flavor}");
  EXPECT_EQ(r.policy->kernel_name, "kernel-{flavor}");
  EXPECT_EQ(r.policy->dependencies, DependencyMode::Ksym);
  EXPECT_TRUE(r.policy->keep.empty());
  EXPECT_TRUE(r.policy->sets.empty());
  EXPECT_EQ(r.policy->depmod_command, "/usr/bin/kmpkit depmod -a --skip-unreadable {kver}");
}

TEST(Policy, ReadsEverySection) {
  auto r = load_policy_string(R"(
format = 1
[kernel]
flavor = "default"
keep = { modules = ["ext4"], paths = ["kernel/fs/jbd2/*"] }
depmod = "/usr/bin/kmpkit depmod --incremental {kver}"
[naming]
kmp = "kmod-{module}-{flavor}"
[kmp]
dependencies = "ksym+package"
[build]
shards = 7
jobs = 3
payload = "w3.zstdio"
[[set]]
name = "nf-kmp-{flavor}"
summary = "Netfilter"
paths = ["kernel/net/netfilter/**"]
modules = ["nf_*"]
[[pattern]]
name = "fw"
order = 42
visible = false
requires = { packages = ["nf-kmp-{flavor}"], patterns = ["boot"] }
recommends = { modules = ["x_tables"] }
[[pattern]]
name = "boot"
requires = { paths = ["kernel/fs/**"] }
)",
                              "full.toml");
  ASSERT_TRUE(r.policy) << all_problems(r);
  const Policy& p = *r.policy;
  EXPECT_EQ(p.flavor, "default");
  EXPECT_EQ(p.keep.modules, std::vector<std::string>{"ext4"});
  EXPECT_EQ(p.keep.paths, std::vector<std::string>{"kernel/fs/jbd2/*"});
  EXPECT_EQ(p.kmp_name, "kmod-{module}-{flavor}");
  EXPECT_EQ(p.dependencies, DependencyMode::KsymAndPackage);
  EXPECT_EQ(p.shards, 7u);
  EXPECT_EQ(p.jobs, 3u);
  EXPECT_EQ(p.payload, "w3.zstdio");
  ASSERT_EQ(p.sets.size(), 1u);
  EXPECT_EQ(p.sets[0].name, "nf-kmp-{flavor}");
  EXPECT_EQ(p.sets[0].select.modules, std::vector<std::string>{"nf_*"});
  ASSERT_EQ(p.patterns.size(), 2u);
  EXPECT_EQ(p.patterns[0].order, 42);
  EXPECT_FALSE(p.patterns[0].visible);
  EXPECT_EQ(p.patterns[0].requires_.patterns, std::vector<std::string>{"boot"});
  EXPECT_EQ(p.patterns[0].recommends.select.modules, std::vector<std::string>{"x_tables"});
}

TEST(Policy, UnknownKeysAreRejectedWithTheirPosition) {
  auto r = load_policy_string("format = 1\n[kernel]\nflavour = \"x\"\n[[set]]\nname = \"a\"\npaths = [\"x\"]\ncolour = 1\n", "p.toml");
  EXPECT_FALSE(r.policy);
  EXPECT_TRUE(has_problem(r, "p.toml:3:1: unknown key 'flavour' in [kernel]")) << all_problems(r);
  EXPECT_TRUE(has_problem(r, "p.toml:7:1: unknown key 'colour' in [set #1]")) << all_problems(r);
  auto top = load_policy_string("format = 1\nsets = []\n", "t.toml");
  EXPECT_TRUE(has_problem(top, "unknown key 'sets' in the top level")) << all_problems(top);
  auto nested = load_policy_string("format = 1\n[[pattern]]\nname = \"x\"\nrequires = { module = [\"a\"] }\n", "n.toml");
  EXPECT_TRUE(has_problem(nested, "unknown key 'module' in [pattern #1.requires]")) << all_problems(nested);
}

TEST(Policy, AMisspeltKeyGetsTheNearestKnownOne) {
  auto r = load_policy_string("format = 1\n[kernel]\nflavour = \"x\"\n[[set]]\nname = \"a\"\nmodule = [\"x\"]\n", "p.toml");
  EXPECT_TRUE(has_problem(r, "p.toml:3:1: unknown key 'flavour' in [kernel] (did you mean 'flavor'?)")) << all_problems(r);
  EXPECT_TRUE(has_problem(r, "unknown key 'module' in [set #1] (did you mean 'modules'?)")) << all_problems(r);
  auto top = load_policy_string("format = 1\nsets = []\n", "t.toml");
  EXPECT_TRUE(has_problem(top, "unknown key 'sets' in the top level (did you mean 'set'?)")) << all_problems(top);
  auto far = load_policy_string("format = 1\n[kernel]\nwhatever = 1\n", "f.toml");
  EXPECT_TRUE(has_problem(far, "unknown key 'whatever' in [kernel]")) << all_problems(far);
  EXPECT_FALSE(has_problem(far, "did you mean")) << all_problems(far);
}

TEST(Policy, WrongTypesAndValuesAreRejected) {
  auto r = load_policy_string(R"(
format = 1
[kernel]
flavor = 3
[kmp]
dependencies = "all"
[build]
shards = -1
[[set]]
name = "x-{flavor}"
paths = "kernel/**"
)",
                              "t.toml");
  EXPECT_FALSE(r.policy);
  EXPECT_TRUE(has_problem(r, "'flavor' in [kernel] must be a string")) << all_problems(r);
  EXPECT_TRUE(has_problem(r, "dependencies must be \"ksym\" or \"ksym+package\"")) << all_problems(r);
  EXPECT_TRUE(has_problem(r, "'shards' in [build] must be between 0 and")) << all_problems(r);
  EXPECT_TRUE(has_problem(r, "'paths' in [set #1] must be an array of strings")) << all_problems(r);
}

TEST(Policy, KmpProvides) {
  auto def = load_policy_string("format = 1\n[kmp]\ndependencies = \"ksym\"\n", "d.toml");
  ASSERT_TRUE(def.policy) << all_problems(def);
  EXPECT_EQ(def.policy->provides, ProvidesMode::All);
  auto imported = load_policy_string("format = 1\n[kmp]\nprovides = \"imported\"\n", "i.toml");
  ASSERT_TRUE(imported.policy) << all_problems(imported);
  EXPECT_EQ(imported.policy->provides, ProvidesMode::Imported);
  auto all = load_policy_string("format = 1\n[kmp]\nprovides = \"all\"\n", "a.toml");
  ASSERT_TRUE(all.policy) << all_problems(all);
  EXPECT_EQ(all.policy->provides, ProvidesMode::All);
  auto bad = load_policy_string("format = 1\n[kmp]\nprovides = \"some\"\n", "b.toml");
  EXPECT_FALSE(bad.policy);
  EXPECT_TRUE(has_problem(bad, "b.toml:3:12: [kmp] provides must be \"all\" or \"imported\", not \"some\""))
      << all_problems(bad);
  auto wrong_type = load_policy_string("format = 1\n[kmp]\nprovides = true\n", "w.toml");
  EXPECT_FALSE(wrong_type.policy);
  EXPECT_TRUE(has_problem(wrong_type, "'provides' in [kmp] must be a string")) << all_problems(wrong_type);
}

TEST(Policy, SyntaxErrorsNameTheLine) {
  auto r = load_policy_string("[kernel\nflavor = 1\n", "bad.toml");
  EXPECT_FALSE(r.policy);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].message.find("bad.toml:1:"), std::string::npos) << r.problems[0].message;
  EXPECT_NE(r.problems[0].message.find("TOML syntax error"), std::string::npos);
}

TEST(Policy, EverySyntaxErrorIsNamedInOneRun) {
  // toml++ stops at the first error; the loader goes on past each bad line.
  auto r = load_policy_string("format = 1\n[kernel\nflavor = \"amd64\"\nx = = 2\n[[set]]\nname = \"a\nmodules = []\n",
                              "bad.toml");
  EXPECT_FALSE(r.policy);
  ASSERT_EQ(r.problems.size(), 3u) << all_problems(r);
  EXPECT_EQ(r.problems[0].message.rfind("bad.toml:2:", 0), 0u) << r.problems[0].message;
  EXPECT_EQ(r.problems[1].message.rfind("bad.toml:4:", 0), 0u) << r.problems[1].message;
  EXPECT_EQ(r.problems[2].message.rfind("bad.toml:6:", 0), 0u) << r.problems[2].message;
  // A file: the same.
  auto file = test::temp_dir("kmpkit-policy-syntax") + "/p.toml";
  test::write_text(file, "format = 1\n[kernel\nx = = 2\n");
  EXPECT_EQ(load_policy_file(file).problems.size(), 2u);
}

TEST(Policy, TemplatesAndNamesAreChecked) {
  auto r = load_policy_string(R"(
format = 1
[naming]
kmp = "{modul}-kmp"
kernel = "kernel {flavor}"
[[set]]
name = "a-{module}"
modules = ["x"]
[[set]]
name = "b"
modules = ["y"]
[[set]]
name = "b"
modules = ["z"]
[[pattern]]
name = "p"
requires = { patterns = ["nope"] }
)",
                              "t.toml");
  EXPECT_FALSE(r.policy);
  EXPECT_TRUE(has_problem(r, "unknown placeholder {modul}")) << all_problems(r);
  EXPECT_TRUE(has_problem(r, "does not give a valid rpm package name")) << all_problems(r);
  EXPECT_TRUE(has_problem(r, "unknown placeholder {module} in \"a-{module}\"")) << all_problems(r);
  EXPECT_TRUE(has_problem(r, "two sets are named \"b\"")) << all_problems(r);
  EXPECT_TRUE(has_problem(r, "names the unknown pattern \"nope\"")) << all_problems(r);
}

TEST(Policy, SetsAndPatternsMustSelectSomething) {
  auto r = load_policy_string("format = 1\n[[set]]\nname = \"a\"\n[[pattern]]\nname = \"p\"\n", "t.toml");
  EXPECT_FALSE(r.policy);
  EXPECT_TRUE(has_problem(r, "set \"a\" selects nothing")) << all_problems(r);
  EXPECT_TRUE(has_problem(r, "pattern \"p\" has no members")) << all_problems(r);
}

TEST(Policy, ExpandTemplate) {
  TemplateValues v{"amd64", "6.1.0-56-amd64", "6.1.0", "ext4", "fw"};
  EXPECT_EQ(expand_template("{module}-kmp-{flavor}", v), "ext4-kmp-amd64");
  EXPECT_EQ(expand_template("k-{kver}-{version}-{pattern}", v), "k-6.1.0-56-amd64-6.1.0-fw");
  EXPECT_EQ(expand_template("{other}{", v), "{other}{");
}

TEST(Policy, KabiNamingScheme) {
  auto def = load_policy_string("format = 1\n", "t.toml");
  ASSERT_TRUE(def.policy);
  EXPECT_EQ(def.policy->scheme, Policy::Scheme::KernelVersion);
  EXPECT_EQ(def.policy->weak_updates_command, "/usr/bin/kmpkit weak-updates -q {kver}");
  auto r = load_policy_string("format = 1\n[naming]\nscheme = \"kabi\"\nkmp = \"kmp-{module}-{kabi}-{flavor}\"\n", "t.toml");
  ASSERT_TRUE(r.policy) << all_problems(r);
  EXPECT_EQ(r.policy->scheme, Policy::Scheme::Kabi);
  auto bad = load_policy_string("format = 1\n[naming]\nscheme = \"abi\"\n", "t.toml");
  EXPECT_TRUE(has_problem(bad, "[naming] scheme must be \"kernel-version\" or \"kabi\", not \"abi\"")) << all_problems(bad);
  auto no_scheme = load_policy_string("format = 1\n[naming]\nkmp = \"{module}-{kabi}\"\n", "t.toml");
  EXPECT_TRUE(has_problem(no_scheme, "{kabi} in a KMP name needs [naming] scheme = \"kabi\"")) << all_problems(no_scheme);
  auto empty_wu = load_policy_string("format = 1\n[kernel]\nweak_updates = \"\"\n[naming]\nscheme = \"kabi\"\n", "t.toml");
  EXPECT_TRUE(has_problem(empty_wu, "[kernel] weak_updates must not be empty")) << all_problems(empty_wu);
  auto kernel_kabi = load_policy_string("format = 1\n[naming]\nscheme = \"kabi\"\nkernel = \"kernel-{kabi}\"\n", "t.toml");
  EXPECT_TRUE(has_problem(kernel_kabi, "unknown placeholder {kabi}")) << all_problems(kernel_kabi);
  // The KABI part goes at the end unless the template places it; the base name drops it.
  EXPECT_EQ(kabi_name_template("{module}-kmp-{flavor}"), "{module}-kmp-{flavor}-{kabi}");
  EXPECT_EQ(kabi_name_template("kmp-{kabi}-{module}"), "kmp-{kabi}-{module}");
  EXPECT_EQ(base_name_template("{module}-kmp-{flavor}-{kabi}"), "{module}-kmp-{flavor}");
  EXPECT_EQ(base_name_template("kmp-{kabi}-{module}"), "kmp-{module}");
  EXPECT_EQ(base_name_template("{module}-kmp"), "{module}-kmp");
}

TEST(Policy, PackageNames) {
  EXPECT_TRUE(valid_package_name("ext4-kmp-amd64"));
  EXPECT_TRUE(valid_package_name("snd_hda_codec-kmp-default"));
  EXPECT_FALSE(valid_package_name("a b"));
  EXPECT_FALSE(valid_package_name("-a"));
  EXPECT_FALSE(valid_package_name(""));
  EXPECT_FALSE(valid_package_name("a/b"));
}

// Found by fuzz/fuzz_policy.cpp (seed fuzz/seeds/policy/crash-toml-unreachable-whitespace): toml++ 3.3
// reached __builtin_unreachable() on a non-ASCII character where whitespace may go (policy/toml.hpp).
// It is a syntax error at its position (the sanitizer build, KMPKIT_SANITIZE, checks no UB is left).
TEST(Policy, ANonAsciiCharacterWhereWhitespaceGoesIsASyntaxError) {
  for (const char* text : {"format = 1 \xc3\xa9\n", "format = 1\n\xef\xb8\xbf\n", "format = 1\n\xcc\xaa = 2\n"}) {
    auto r = load_policy_string(text, "p.toml");
    EXPECT_FALSE(r.policy) << text;
    EXPECT_TRUE(has_problem(r, "TOML syntax error")) << all_problems(r);
  }
  EXPECT_TRUE(has_problem(load_policy_string("format = 1 \xc3\xa9\n", "p.toml"), "p.toml:1:12: TOML syntax error"));
  auto seed = load_policy_file(std::string(KMPKIT_SOURCE_DIR) + "/fuzz/seeds/policy/crash-toml-unreachable-whitespace");
  EXPECT_FALSE(seed.policy);
  EXPECT_TRUE(has_problem(seed, "TOML syntax error")) << all_problems(seed);
  // Inside strings such characters are text as before.
  auto ok = load_policy_string("format = 1\n[kernel]\nsummary = \"caf\xc3\xa9 \xef\xb8\xbf\"\n", "p.toml");
  ASSERT_TRUE(ok.policy) << all_problems(ok);
  EXPECT_EQ(ok.policy->kernel_summary, "caf\xc3\xa9 \xef\xb8\xbf");
}

TEST(Policy, MissingFile) {
  auto r = load_policy_file("/nonexistent/policy.toml");
  EXPECT_FALSE(r.policy);
  EXPECT_TRUE(has_problem(r, "no such policy file"));
}

TEST(Policy, TheShippedDefaultPolicyLoads) {
  std::string path = test::source_dir() + "/policies/default.toml";
  auto r = load_policy_file(path);
  ASSERT_TRUE(r.policy) << all_problems(r);
  std::vector<std::string> names;
  for (const auto& p : r.policy->patterns) names.push_back(p.name);
  for (const char* want : {"kernel-firewall", "kernel-network-drivers-all", "kernel-storage-drivers-all",
                           "kernel-usb-drivers-all", "kernel-base-boot"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  EXPECT_TRUE(r.policy->keep.empty());
  EXPECT_EQ(r.policy->dependencies, DependencyMode::Ksym);
  EXPECT_EQ(r.policy->provides, ProvidesMode::All);
}

TEST(Glob, PathGlobs) {
  EXPECT_TRUE(path_glob_match("kernel/net/netfilter/**", "kernel/net/netfilter/nf_tables.ko"));
  EXPECT_TRUE(path_glob_match("kernel/net/netfilter/**", "kernel/net/netfilter/ipset/ip_set.ko"));
  EXPECT_FALSE(path_glob_match("kernel/net/netfilter/**", "kernel/net/ipv4/netfilter/nf_nat_ipv4.ko"));
  EXPECT_TRUE(path_glob_match("kernel/**/netfilter/**", "kernel/net/ipv4/netfilter/nf_reject_ipv4.ko"));
  EXPECT_TRUE(path_glob_match("kernel/**/usb/**", "kernel/drivers/usb/host/xhci-pci.ko"));
  EXPECT_TRUE(path_glob_match("kernel/**/usb/**", "kernel/sound/usb/snd-usb-audio.ko"));
  EXPECT_TRUE(path_glob_match("kernel/fs/*/ext4.ko", "kernel/fs/ext4/ext4.ko"));
  EXPECT_FALSE(path_glob_match("kernel/*/ext4.ko", "kernel/fs/ext4/ext4.ko"));
  EXPECT_TRUE(path_glob_match("kernel/fs/ext4/*.ko", "kernel/fs/ext4/ext4.ko.xz"));  // compression ignored
  EXPECT_TRUE(path_glob_match("kernel/fs/ext4/*.ko.zst", "kernel/fs/ext4/ext4.ko.zst"));
  EXPECT_TRUE(path_glob_match("a/**/b.ko", "a/b.ko"));
  EXPECT_TRUE(path_glob_match("kernel/drivers/misc/kmpt/kmpt_[ml]*.ko", "kernel/drivers/misc/kmpt/kmpt_mid.ko"));
  EXPECT_FALSE(path_glob_match("kernel/drivers/misc/kmpt/kmpt_[!ml]*.ko", "kernel/drivers/misc/kmpt/kmpt_mid.ko"));
  EXPECT_TRUE(path_glob_match("extra/kmpt?dash.ko", "extra/kmpt-dash.ko"));
  EXPECT_FALSE(path_glob_match("extra?kmpt-dash.ko", "extra/kmpt-dash.ko"));
  EXPECT_TRUE(path_glob_match("**", "anything/at/all.ko"));
}

// Found writing fuzz/fuzz_policy_glob.cpp (seed fuzz/seeds/policy_glob/crash-many-double-stars): the
// backtracking matcher took exponential time on repeated stars and `kmpkit split` hung on such a
// policy. The matcher follows every pattern position at once now: this is instant.
TEST(Glob, ManyStarsDoNotTakeExponentialTime) {
  std::string pattern;
  for (int i = 0; i < 16; ++i) pattern += "**a*";
  pattern += "b";
  EXPECT_FALSE(path_glob_match(pattern, std::string(4000, 'a')));
  EXPECT_TRUE(path_glob_match(pattern, std::string(40, 'a') + "b"));
  // "**/" matches nothing only where it starts; "[" without "]" is a literal.
  EXPECT_FALSE(path_glob_match("**/", "k.-ak"));
  EXPECT_TRUE(path_glob_match("**/**/x", "x"));
  EXPECT_TRUE(path_glob_match("[a-", "[a-"));
  EXPECT_FALSE(path_glob_match("x[/]y", "x/y"));
}

TEST(Glob, NameGlobs) {
  EXPECT_TRUE(name_glob_match("nf_*", "nf_tables"));
  EXPECT_TRUE(name_glob_match("kmpt-dash", "kmpt_dash"));
  EXPECT_FALSE(name_glob_match("nf_*", "nft_ct"));
  EXPECT_TRUE(name_glob_match("nft_[cm]*", "nft_ct"));
  EXPECT_TRUE(has_glob_chars("nf_*"));
  EXPECT_FALSE(has_glob_chars("ext4"));
}

}  // namespace
}  // namespace kmpkit::policy

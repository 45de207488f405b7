// The real Debian kernel, every module: kmpkit's reading equals Debian's modinfo, modprobe and
// depmod, on the tree as shipped and on a copy recompressed with xz.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "module/inventory.hpp"
#include "module/tree_walk.hpp"
#include "oracles.hpp"
#include "test_env.hpp"

using namespace kmpkit;
using namespace kmpkit::test;

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + v[i];
  return s;
}


class RealKernel : public ::testing::TestWithParam<std::string> {};

TEST_P(RealKernel, EveryModuleMatchesModinfoModprobeAndDepmod) {
  const std::string base = kernel_root_compressed(GetParam());
  const std::string kver = kernel_release();
  auto inv = read_inventory(base, kver);
  ASSERT_TRUE(inv.errors.empty()) << inv.errors.front().file << ": " << inv.errors.front().message;
  ASSERT_GT(inv.modules.size(), 3000u);

  std::vector<std::string> files;
  for (const auto& m : inv.modules) files.push_back(m.file);
  auto depends = modinfo_field_many(files, "depends");
  auto aliases = modinfo_field_many(files, "alias");
  auto versions = dump_modversions_many(files);
  size_t checked_symbols = 0;
  for (size_t i = 0; i < inv.modules.size(); ++i) {
    const auto& m = inv.modules[i];
    SCOPED_TRACE(m.path);
    EXPECT_EQ(depends[i].empty() ? "" : depends[i][0], join(m.depends()));
    EXPECT_EQ(aliases[i], m.aliases());
    ASSERT_EQ(versions[i].size(), m.versions.size());
    for (size_t k = 0; k < versions[i].size(); ++k) {
      EXPECT_EQ(versions[i][k].first, m.versions[k].name);
      EXPECT_EQ(versions[i][k].second, m.versions[k].crc);
      ++checked_symbols;
    }
  }
  EXPECT_GT(checked_symbols, 100000u);
  if (GetParam() == "plain") {  // signatures: same signer as modinfo reports (Debian signs every module)
    auto signers = modinfo_field_many(files, "signer");
    for (size_t i = 0; i < inv.modules.size(); ++i) {
      EXPECT_EQ(signers[i].empty() ? "" : signers[i][0], inv.modules[i].signer) << inv.modules[i].path;
      EXPECT_EQ(!signers[i].empty(), inv.modules[i].is_signed) << inv.modules[i].path;
    }
  }

  // (symbol, owner) pairs against the real depmod's modules.symbols of the same tree.
  auto work = temp_dir("kmpkit-depmod");
  ASSERT_EQ(run("mkdir -p " + work + "/lib/modules && cp -al " + shell_quote(base + "/lib/modules/" + kver) + " " +
                work + "/lib/modules/ && timeout 300 /sbin/depmod -b " + work + " " + kver + " 2>&1 | head -c 100000")
                .exit_code,
            0);
  std::set<std::pair<std::string, std::string>> theirs;
  for (const auto& line : split_lines(run("cat " + work + "/lib/modules/" + kver + "/modules.symbols").out)) {
    if (!line.starts_with("alias symbol:")) continue;
    auto rest = line.substr(13);
    auto sp = rest.find(' ');
    theirs.emplace(rest.substr(0, sp), rest.substr(sp + 1));
  }
  // depmod gives a symbol exported twice to the module it loads later (modules.order order).
  std::map<std::string, size_t> order_index;
  for (size_t i = 0; i < inv.order.size(); ++i) order_index[module_name_from_path(inv.order[i])] = i;
  std::map<std::string, std::string> owner;
  std::map<std::string, size_t> owner_rank;
  for (const auto& m : inv.modules) {
    size_t rank = order_index.count(m.name) ? order_index[m.name] : SIZE_MAX;
    for (const auto& e : m.exports)
      if (!owner.count(e.name) || rank >= owner_rank[e.name]) owner[e.name] = m.name, owner_rank[e.name] = rank;
  }
  std::set<std::pair<std::string, std::string>> ours(owner.begin(), owner.end());
  EXPECT_EQ(ours.size(), theirs.size());
  EXPECT_TRUE(ours == theirs);
}

INSTANTIATE_TEST_SUITE_P(Trees, RealKernel, ::testing::Values("plain", "xz"));

}  // namespace

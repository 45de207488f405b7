// The rpm side of a plan: patterns.xml, spec escaping, shard counts, the host base spec.
#include <gtest/gtest.h>

#include "package/plan.hpp"
#include "spec/host_base.hpp"
#include "spec/patterns_xml.hpp"
#include "spec/split.hpp"
#include "test_env.hpp"

namespace kmpkit::spec {
namespace {

package::PackagePlan plan_with_patterns() {
  package::PackagePlan plan;
  plan.version = "6.1.0";
  plan.release = "56";
  package::PlannedPackage fw;
  fw.kind = package::PackageKind::Pattern;
  fw.name = "patterns-kernel-firewall";
  fw.pattern = "kernel-firewall";
  fw.summary = "Firewall <nftables & iptables>";
  fw.description = "The \"kernel\" side.";
  fw.provides = {"pattern() = kernel_firewall", "pattern-visible()", "pattern-order() = 3010",
                 "pattern-category() = Kernel%20Stuff", "pattern-icon() = pattern%2Dkernel"};
  fw.requires_ = {"netfilter-kmp-amd64"};
  fw.recommends = {"ipset-kmp-amd64"};
  package::PlannedPackage boot;
  boot.kind = package::PackageKind::Pattern;
  boot.name = "patterns-kernel-base-boot";
  boot.pattern = "kernel-base-boot";
  boot.summary = "Boot";
  boot.provides = {"pattern() = kernel_base_boot", "pattern-order() = 3000"};
  boot.requires_ = {"ext4-kmp-amd64", "pattern() = kernel_firewall"};
  plan.patterns = {fw, boot};
  return plan;
}

TEST(PatternsXml, OnePatternElementEach) {
  std::string x = patterns_xml(plan_with_patterns());
  EXPECT_NE(x.find("<patterns xmlns=\"http://novell.com/package/metadata/suse/pattern\" "
                   "xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" count=\"2\">"),
            std::string::npos)
      << x;
  EXPECT_NE(x.find("<name>kernel-firewall</name>"), std::string::npos);
  EXPECT_NE(x.find("<version epoch=\"0\" ver=\"6.1.0\" rel=\"56\"/>"), std::string::npos);
  EXPECT_NE(x.find("<summary lang=\"en\">Firewall &lt;nftables &amp; iptables&gt;</summary>"), std::string::npos);
  EXPECT_NE(x.find("<description lang=\"en\">The &quot;kernel&quot; side.</description>"), std::string::npos);
  EXPECT_NE(x.find("<uservisible/>"), std::string::npos);
  EXPECT_NE(x.find("<category lang=\"en\">Kernel Stuff</category>"), std::string::npos);
  EXPECT_NE(x.find("<icon>pattern-kernel</icon>"), std::string::npos);
  EXPECT_NE(x.find("<order>3010</order>"), std::string::npos);
  // The pattern requires its package and its members; nested patterns by their real name.
  EXPECT_NE(x.find("<rpm:entry name=\"patterns-kernel-firewall\"/>\n      <rpm:entry name=\"netfilter-kmp-amd64\"/>"),
            std::string::npos)
      << x;
  EXPECT_NE(x.find("<rpm:recommends>\n      <rpm:entry name=\"ipset-kmp-amd64\"/>"), std::string::npos);
  EXPECT_NE(x.find("<rpm:entry kind=\"pattern\" name=\"kernel-firewall\"/>"), std::string::npos) << x;
  // Only the visible one is marked visible.
  EXPECT_EQ(x.find("<uservisible/>"), x.rfind("<uservisible/>"));
}

TEST(SpecWriter, Escaping) {
  EXPECT_EQ(spec_escape("100% sure %{x}"), "100%% sure %%{x}");
  EXPECT_EQ(xml_escape("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;");
}

TEST(SpecWriter, AutomaticShards) {
  EXPECT_EQ(automatic_shards(0), 1u);
  EXPECT_EQ(automatic_shards(7), 1u);
  EXPECT_EQ(automatic_shards(100), 1u);
  EXPECT_EQ(automatic_shards(101), 2u);
  EXPECT_EQ(automatic_shards(3781), 38u);
}

TEST(HostBase, ShellAndDepmodWithTheirLibraries) {
  auto libs = shared_libraries("/bin/dash");
  ASSERT_FALSE(libs.empty());
  bool libc = false;
  for (auto& l : libs) libc |= l.find("libc.so") != std::string::npos;
  EXPECT_TRUE(libc);
  HostBaseOptions o;
  o.tools = {{"/bin/sh", "/bin/dash"}, {"/sbin/depmod", "/sbin/depmod"}};
  std::string spec = host_base_spec(o);
  EXPECT_NE(spec.find("Name: kmpkit-host-base"), std::string::npos);
  EXPECT_NE(spec.find("AutoReqProv: no"), std::string::npos);
  EXPECT_NE(spec.find("install -D -m 0755 '/bin/dash' %{buildroot}/bin/sh"), std::string::npos) << spec;
  EXPECT_NE(spec.find("\n/sbin/depmod\n"), std::string::npos);
  EXPECT_NE(spec.find("%dir %attr(1777,root,root) /var/tmp"), std::string::npos);
  for (const auto& lib : shared_libraries("/sbin/depmod"))
    EXPECT_NE(spec.find("\n" + lib + "\n"), std::string::npos) << lib << " (a library of depmod)";
  // kmpkit's libraries (the binary itself is the kmpkit package, pinned in DIR/bin and stripped).
  std::string kmpkit = kmpkit::test::kmpkit_binary();
  o.libraries_of.push_back(kmpkit);
  spec = host_base_spec(o);
  EXPECT_EQ(spec.find("\n/usr/bin/kmpkit\n"), std::string::npos);
  auto kmpkit_libs = shared_libraries(kmpkit);
  EXPECT_FALSE(kmpkit_libs.empty());
  for (const auto& lib : kmpkit_libs)
    EXPECT_NE(spec.find("\n" + lib + "\n"), std::string::npos) << lib << " (a library of kmpkit)";
  auto tool = tool_package_spec("6.1.0", "57");
  EXPECT_NE(tool.find("Name: kmpkit\n"), std::string::npos);
  EXPECT_NE(tool.find("install -D -m 0755 %{_sourcedir}/bin/kmpkit %{buildroot}/usr/bin/kmpkit\n"
                      "strip --strip-debug %{buildroot}/usr/bin/kmpkit || :\n"),
            std::string::npos)
      << tool;
  EXPECT_NE(tool.find("\n/usr/bin/kmpkit\n"), std::string::npos);
  o.tools = {{"/bin/sh", "/nonexistent/sh"}};
  EXPECT_THROW(host_base_spec(o), std::runtime_error);
}

}  // namespace
}  // namespace kmpkit::spec

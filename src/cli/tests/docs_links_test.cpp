// The docs stand alone: every Markdown link in README.md and docs/*.md names a file of this
// repository (a new user reads them in a checkout, without the notes they were written from).
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "test_env.hpp"

namespace kmpkit::test {
namespace {

namespace fs = std::filesystem;

struct Link {
  std::string doc, target;
};

// Code (fenced blocks and `spans`) is not Markdown: a `[x](y)` there is an example, not a link.
std::string without_code(const std::string& text) {
  static const std::regex fenced("```[\\s\\S]*?```"), span("`[^`\n]*`");
  return std::regex_replace(std::regex_replace(text, fenced, ""), span, "");
}

std::vector<Link> links_of(const fs::path& doc) {
  static const std::regex link("\\[[^\\]]*\\]\\(([^)\\s]+)[^)]*\\)");
  std::vector<Link> out;
  std::string text = without_code(read_text(doc.string()));
  for (std::sregex_iterator it(text.begin(), text.end(), link), end; it != end; ++it)
    out.push_back({doc.string(), (*it)[1].str()});
  return out;
}

std::vector<fs::path> docs() {
  const fs::path src = source_dir();
  std::vector<fs::path> out = {src / "README.md"};
  for (const auto& e : fs::directory_iterator(src / "docs"))
    if (e.path().extension() == ".md") out.push_back(e.path());
  return out;
}

bool is_external(const std::string& target) {
  return target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0 || target.rfind("mailto:", 0) == 0;
}

TEST(DocsLinks, EveryLinkNamesAFileOfTheRepository) {
  const fs::path src = fs::weakly_canonical(source_dir());
  size_t checked = 0;
  for (const auto& doc : docs()) {
    for (const auto& l : links_of(doc)) {
      if (is_external(l.target) || l.target[0] == '#') continue;
      std::string path = l.target.substr(0, l.target.find('#'));
      fs::path resolved = fs::weakly_canonical(doc.parent_path() / path);
      auto rel = resolved.lexically_relative(src).string();
      EXPECT_FALSE(rel.empty() || rel.rfind("..", 0) == 0) << l.doc << ": " << l.target << " leaves the repository";
      EXPECT_TRUE(fs::exists(resolved)) << l.doc << ": " << l.target << " does not exist";
      ++checked;
    }
  }
  EXPECT_GT(checked, 10u) << "the link pattern found (almost) no links";
}

// Not only links: any relative path in the text ("../x/y") must stay inside the repository.
TEST(DocsLinks, NothingCitesPathsOutsideTheRepository) {
  const fs::path src = fs::weakly_canonical(source_dir());
  const std::regex relative(R"((?:\.\./)+[A-Za-z0-9_.-][A-Za-z0-9_./-]*)");
  for (const auto& doc : docs()) {
    std::string text = read_text(doc.string());
    for (std::sregex_iterator it(text.begin(), text.end(), relative), end; it != end; ++it) {
      auto rel = fs::weakly_canonical(doc.parent_path() / it->str()).lexically_relative(src).string();
      EXPECT_FALSE(rel.empty() || rel.rfind("..", 0) == 0) << doc << " cites " << it->str() << ", outside the repository";
    }
  }
}

TEST(DocsLinks, TheLinkPatternSeesLinksAndSkipsCode) {
  std::string dir = temp_dir("kmpkit-docs-links");
  write_text(dir + "/a.md", "see [b](b.md#x) and\n[the\npolicy](../p.toml \"t\")\n`[no](c.md)`\n```\n[no](d.md)\n```\n");
  auto l = links_of(dir + "/a.md");
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].target, "b.md#x");
  EXPECT_EQ(l[1].target, "../p.toml");
}

}  // namespace
}  // namespace kmpkit::test

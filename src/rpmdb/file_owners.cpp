#include "rpmdb/file_owners.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "rpmdb/package_db.hpp"

namespace fs = std::filesystem;

namespace kmpkit::rpmdb {

std::map<std::string, std::string> file_owners(const std::string& root, const std::vector<std::string>& files) {
  std::map<std::string, std::string> out;
  if (files.empty()) return out;
  std::string why;
  auto db = PackageDb::open(root, "", &why);
  if (!db) return out;
  const std::string base = root.empty() ? "/" : fs::weakly_canonical(root).string();
  for (const auto& f : files) {
    // The path inside the root: the file's path relative to it (both made absolute).
    std::error_code ec;
    fs::path rel = fs::weakly_canonical(fs::absolute(f), ec).lexically_relative(base);
    if (rel.empty() || rel.begin()->string() == "..") continue;
    auto owners = db->owners("/" + rel.string());
    if (!owners.empty()) out[f] = fmt::format("{}", fmt::join(owners, ", "));
  }
  return out;
}

std::string reinstall_hint(const std::map<std::string, std::string>& owners, const std::string& file) {
  auto it = owners.find(file);
  if (it == owners.end()) return "";
  return fmt::format(" (package {0}: reinstall it, e.g. zypper in -f {0})", it->second);
}

}  // namespace kmpkit::rpmdb

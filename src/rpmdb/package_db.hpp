#pragma once
// Which installed package owns a file: the rpm database of a root, read with librpm.
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace kmpkit::rpmdb {

// One dependency as rpm prints it: "ksym(amd64:foo) = 0x1234abcd", "kmod(e1000e.ko)".
struct Dependency {
  std::string name;
  std::string op;       // "", "=", "<", ">", "<=", ">="
  std::string version;  // "" without op
  std::string text() const { return op.empty() ? name : name + " " + op + " " + version; }
};

// An installed package with what it provides and asks for (what `kmpkit drivers` explains).
struct InstalledPackage {
  std::string name;
  std::string evr;  // [epoch:]version-release
  std::vector<Dependency> provides, requires_, recommends, supplements;
};

// Who signed an installed package's header, and which keys the database trusts (rpm --import).
struct PackageSignatures {
  std::unordered_map<std::string, std::string> key_of;  // package name → key id (16 hex digits), "" unsigned
  std::vector<std::string> trusted;                     // imported keys: gpg-pubkey versions (8 hex digits)
  // The key id is trusted when it ends in one of the imported short ids.
  bool is_trusted(const std::string& key_id) const;
};

class PackageDb {
 public:
  // Opens the rpm database of `root` ("" or "/" = the running system) read-only. `dbpath`
  // (inside the root) picks it; empty: the first of /var/lib/rpm, /usr/lib/sysimage/rpm,
  // rpm's configured %_dbpath (Debian's rpm: ~/.rpmdb) that holds a database.
  // nullopt when the root has no database; `why` then says so (or why it could not be opened).
  static std::optional<PackageDb> open(const std::string& root, const std::string& dbpath, std::string* why);

  PackageDb(PackageDb&&) noexcept;
  PackageDb& operator=(PackageDb&&) noexcept;
  ~PackageDb();

  // Names of the packages that own `path` (absolute, as inside the root); empty: nobody.
  std::vector<std::string> owners(const std::string& path) const;
  // Every packaged file directly in one of `dirs` (absolute, ending in '/') → its packages. One
  // index lookup per directory and one header read per package, instead of one per file.
  std::unordered_map<std::string, std::vector<std::string>> owners_in(const std::vector<std::string>& dirs) const;
  // Every installed package with its dependencies (one pass over the database).
  std::vector<InstalledPackage> packages() const;
  // Every installed package's header signature key and the imported keys.
  PackageSignatures signatures() const;
  const std::string& dbpath() const { return dbpath_; }  // inside the root
  size_t package_count() const { return packages_; }

 private:
  PackageDb() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string dbpath_;
  size_t packages_ = 0;
};

}  // namespace kmpkit::rpmdb

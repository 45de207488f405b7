#include "rpmdb/package_db.hpp"

#include <fcntl.h>
#include <rpm/header.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmds.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmtd.h>
#include <rpm/rpmts.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <unordered_set>

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace kmpkit::rpmdb {
namespace {

bool holds_database(const std::string& dir) {
  std::error_code ec;
  for (const char* f : {"rpmdb.sqlite", "Packages", "Packages.db", "data.mdb"})
    if (fs::exists(fs::path(dir) / f, ec)) return true;
  return false;
}

std::mutex& rpm_mutex() {  // librpm's macro context and configuration are process-global
  static std::mutex mu;
  return mu;
}

void read_rpm_config_once() {
  static std::once_flag once;
  std::call_once(once, [] { rpmReadConfigFiles(nullptr, nullptr); });
}

}  // namespace

struct PackageDb::Impl {
  rpmts ts = nullptr;
  ~Impl() {
    if (ts) {
      rpmtsCloseDB(ts);
      rpmtsFree(ts);
    }
  }
};

PackageDb::PackageDb(PackageDb&&) noexcept = default;
PackageDb& PackageDb::operator=(PackageDb&&) noexcept = default;
PackageDb::~PackageDb() = default;

std::optional<PackageDb> PackageDb::open(const std::string& root_in, const std::string& dbpath, std::string* why) {
  std::lock_guard lock(rpm_mutex());
  read_rpm_config_once();
  std::string root = root_in.empty() ? "/" : root_in;
  std::string base = root == "/" ? "" : root;
  while (!base.empty() && base.back() == '/') base.pop_back();

  std::vector<std::string> candidates;
  if (!dbpath.empty()) candidates.push_back(dbpath);
  else {
    candidates = {"/var/lib/rpm", "/usr/lib/sysimage/rpm"};
    if (char* configured = rpmExpand("%{?_dbpath}", nullptr)) {
      if (*configured) candidates.emplace_back(configured);
      free(configured);
    }
  }
  std::string found;
  for (const auto& c : candidates)
    if (holds_database(base + c)) {
      found = c;
      break;
    }
  if (found.empty()) {
    if (why) {
      std::string looked;
      for (const auto& c : candidates) looked += (looked.empty() ? "" : ", ") + c;
      *why = fmt::format("no package database in {} (looked in {})", root, looked);
    }
    return std::nullopt;
  }

  PackageDb db;
  db.impl_ = std::make_unique<Impl>();
  db.dbpath_ = found;
  rpmPushMacro(nullptr, "_dbpath", nullptr, found.c_str(), RMIL_CMDLINE);
  db.impl_->ts = rpmtsCreate();
  rpmtsSetRootDir(db.impl_->ts, root.c_str());
  rpmtsSetVSFlags(db.impl_->ts, rpmtsVSFlags(db.impl_->ts) | RPMVSF_MASK_NODIGESTS | RPMVSF_MASK_NOSIGNATURES);
  int rc = rpmtsOpenDB(db.impl_->ts, O_RDONLY);
  rpmPopMacro(nullptr, "_dbpath");
  if (rc != 0) {
    if (why) *why = fmt::format("cannot open the package database {}{}", base, found);
    return std::nullopt;
  }
  rpmdbMatchIterator mi = rpmtsInitIterator(db.impl_->ts, RPMDBI_PACKAGES, nullptr, 0);
  while (rpmdbNextIterator(mi)) ++db.packages_;
  rpmdbFreeIterator(mi);
  return db;
}

std::vector<std::string> PackageDb::owners(const std::string& path) const {
  std::lock_guard lock(rpm_mutex());
  std::vector<std::string> out;
  rpmdbMatchIterator mi = rpmtsInitIterator(impl_->ts, RPMDBI_INSTFILENAMES, path.c_str(), 0);
  while (Header h = rpmdbNextIterator(mi)) {
    const char* name = headerGetString(h, RPMTAG_NAME);
    if (name && std::find(out.begin(), out.end(), name) == out.end()) out.emplace_back(name);
  }
  rpmdbFreeIterator(mi);
  return out;
}

std::unordered_map<std::string, std::vector<std::string>> PackageDb::owners_in(const std::vector<std::string>& dirs) const {
  std::lock_guard lock(rpm_mutex());
  std::unordered_map<std::string, std::vector<std::string>> out;
  std::unordered_set<std::string> wanted(dirs.begin(), dirs.end());
  std::unordered_set<unsigned> seen;
  for (const auto& dir : dirs) {
    rpmdbMatchIterator mi = rpmtsInitIterator(impl_->ts, RPMDBI_DIRNAMES, dir.c_str(), 0);
    while (Header h = rpmdbNextIterator(mi)) {
      if (!seen.insert(headerGetInstance(h)).second) continue;
      const char* name = headerGetString(h, RPMTAG_NAME);
      rpmtd td = rpmtdNew();
      if (headerGet(h, RPMTAG_FILENAMES, td, HEADERGET_EXT)) {
        while (const char* f = rpmtdNextString(td)) {
          std::string_view path = f;
          auto slash = path.rfind('/');
          if (slash == std::string_view::npos || !wanted.count(std::string(path.substr(0, slash + 1)))) continue;
          auto& owners = out[std::string(path)];
          if (name && std::find(owners.begin(), owners.end(), name) == owners.end()) owners.emplace_back(name);
        }
        rpmtdFreeData(td);
      }
      rpmtdFree(td);
    }
    rpmdbFreeIterator(mi);
  }
  return out;
}

namespace {

std::string op_of(rpmsenseFlags flags) {
  std::string op;
  if (flags & RPMSENSE_LESS) op += "<";
  if (flags & RPMSENSE_GREATER) op += ">";
  if (flags & RPMSENSE_EQUAL) op += "=";
  return op;
}

std::vector<Dependency> dependencies(Header h, rpmTagVal names_tag, rpmTagVal flags_tag, rpmTagVal versions_tag) {
  std::vector<Dependency> out;
  rpmtd names = rpmtdNew(), flags = rpmtdNew(), versions = rpmtdNew();
  if (headerGet(h, names_tag, names, HEADERGET_MINMEM)) {
    headerGet(h, flags_tag, flags, HEADERGET_MINMEM);
    headerGet(h, versions_tag, versions, HEADERGET_MINMEM);
    while (const char* n = rpmtdNextString(names)) {
      Dependency d{n, "", ""};
      uint32_t* f = rpmtdNextUint32(flags);
      const char* v = rpmtdNextString(versions);
      if (f && v && *v) {
        d.op = op_of(static_cast<rpmsenseFlags>(*f));
        d.version = v;
      }
      // rpmlib(...) and the package's own config() are rpm's bookkeeping, not dependencies to explain.
      if (d.name.rfind("rpmlib(", 0) != 0) out.push_back(std::move(d));
    }
  }
  rpmtdFreeData(names);
  rpmtdFreeData(flags);
  rpmtdFreeData(versions);
  rpmtdFree(names);
  rpmtdFree(flags);
  rpmtdFree(versions);
  return out;
}

}  // namespace

std::vector<InstalledPackage> PackageDb::packages() const {
  std::lock_guard lock(rpm_mutex());
  std::vector<InstalledPackage> out;
  rpmdbMatchIterator mi = rpmtsInitIterator(impl_->ts, RPMDBI_PACKAGES, nullptr, 0);
  while (Header h = rpmdbNextIterator(mi)) {
    InstalledPackage p;
    const char* name = headerGetString(h, RPMTAG_NAME);
    if (!name) continue;
    p.name = name;
    char* evr = headerGetAsString(h, RPMTAG_EVR);
    if (evr) p.evr = evr;
    free(evr);
    p.provides = dependencies(h, RPMTAG_PROVIDENAME, RPMTAG_PROVIDEFLAGS, RPMTAG_PROVIDEVERSION);
    p.requires_ = dependencies(h, RPMTAG_REQUIRENAME, RPMTAG_REQUIREFLAGS, RPMTAG_REQUIREVERSION);
    p.recommends = dependencies(h, RPMTAG_RECOMMENDNAME, RPMTAG_RECOMMENDFLAGS, RPMTAG_RECOMMENDVERSION);
    p.supplements = dependencies(h, RPMTAG_SUPPLEMENTNAME, RPMTAG_SUPPLEMENTFLAGS, RPMTAG_SUPPLEMENTVERSION);
    out.push_back(std::move(p));
  }
  rpmdbFreeIterator(mi);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

bool PackageSignatures::is_trusted(const std::string& key_id) const {
  for (const auto& t : trusted)
    if (key_id.size() >= t.size() && key_id.compare(key_id.size() - t.size(), t.size(), t) == 0) return true;
  return false;
}

PackageSignatures PackageDb::signatures() const {
  std::lock_guard lock(rpm_mutex());
  PackageSignatures out;
  rpmdbMatchIterator mi = rpmtsInitIterator(impl_->ts, RPMDBI_PACKAGES, nullptr, 0);
  while (Header h = rpmdbNextIterator(mi)) {
    const char* name = headerGetString(h, RPMTAG_NAME);
    if (!name) continue;
    if (std::string_view(name) == "gpg-pubkey") {
      if (const char* v = headerGetString(h, RPMTAG_VERSION)) out.trusted.push_back(v);
      continue;
    }
    // rpm's own rendering: "RSA/SHA512, Sun Nov 29 2026, Key ID f1e59f1d184d69d4".
    std::string key;
    char* sig = headerFormat(h, "%|RSAHEADER?{%{RSAHEADER:pgpsig}}:{%|DSAHEADER?{%{DSAHEADER:pgpsig}}:{}|}|", nullptr);
    if (sig) {
      std::string_view text(sig);
      if (auto at = text.rfind("Key ID "); at != std::string_view::npos) key = text.substr(at + 7);
      free(sig);
    }
    out.key_of[name] = key;
  }
  rpmdbFreeIterator(mi);
  return out;
}

}  // namespace kmpkit::rpmdb

#include "kabi/loadability.hpp"

#include <algorithm>
#include <deque>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "kabi/vermagic.hpp"

namespace kmpkit::kabi {
namespace {

std::string_view strip_dot(std::string_view s) {  // depmod: ".foo" == "foo" (ppc64)
  if (s.starts_with('.')) s.remove_prefix(1);
  return s;
}

struct CandidateOffer {
  size_t candidate;
  uint64_t crc;
};

bool imports_namespace(const ModuleRecord& m, std::string_view ns) {
  for (const auto& f : m.modinfo)
    if (f.key == "import_ns" && f.value == ns) return true;
  return false;
}

}  // namespace

const char* problem_kind_name(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::UnknownSymbol: return "unknown-symbol";
    case ProblemKind::CrcMismatch: return "crc-mismatch";
    case ProblemKind::NeedsInvalidModule: return "needs-unloadable-module";
    case ProblemKind::Vermagic: return "vermagic-mismatch";
    case ProblemKind::Namespace: return "namespace-not-imported";
    case ProblemKind::GplOnly: return "gpl-only-symbol";
  }
  return "?";
}

std::vector<FixedExport> fixed_exports_from_symvers(const std::vector<SymversEntry>& symvers, bool vmlinux_only) {
  std::vector<FixedExport> out;
  out.reserve(symvers.size());
  for (const auto& e : symvers) {
    if (vmlinux_only && e.module != "vmlinux") continue;
    out.push_back({e.symbol, e.crc, e.module, e.export_type, e.ns});
  }
  return out;
}

std::vector<Requirement> requirements_of(const ModuleRecord& m) {
  std::vector<Requirement> out;
  if (m.dependency_symbols.empty()) {
    for (const auto& v : m.versions) out.push_back({v.name, v.crc, true});
    return out;
  }
  std::unordered_map<std::string_view, uint64_t> versions;
  for (const auto& v : m.versions) versions.emplace(v.name, v.crc);
  std::unordered_set<std::string_view> seen;
  for (const auto& d : m.dependency_symbols) {
    if (d.weak || !seen.insert(d.name).second) continue;
    auto it = versions.find(d.name);
    if (it != versions.end()) out.push_back({d.name, it->second, true});
    else out.push_back({d.name, 0, false});
  }
  return out;
}

std::vector<ModuleVerdict> check_loadability(const LoadabilityInput& in) {
  const size_t n = in.candidates.size();
  std::vector<ModuleVerdict> verdicts(n);

  std::unordered_map<std::string_view, std::vector<const FixedExport*>> fixed;
  fixed.reserve(in.fixed.size());
  for (const auto& e : in.fixed) fixed[strip_dot(e.symbol)].push_back(&e);
  std::unordered_map<std::string_view, std::vector<CandidateOffer>> offered;
  for (size_t i = 0; i < n; ++i)
    for (const auto& e : in.candidates[i]->exports) offered[strip_dot(e.name)].push_back({i, e.crc});

  // Requirements that only candidates meet: (module, requirement) → the candidates that offer a
  // matching export. The fixpoint below drops modules whose every offerer for some requirement
  // has been dropped.
  struct Pending {
    size_t module;
    Requirement req;
    std::vector<size_t> offerers;
    size_t alive;  // offerers still loadable
  };
  std::vector<Pending> pending;
  std::vector<std::vector<size_t>> pending_by_offerer(n);  // candidate → indexes into `pending`

  for (size_t i = 0; i < n; ++i) {
    const ModuleRecord& m = *in.candidates[i];
    ModuleVerdict& v = verdicts[i];
    bool has_versions = !m.versions.empty();
    if (!in.kernel_vermagic.empty() && !vermagic_compatible(m.vermagic(), in.kernel_vermagic, has_versions)) {
      Problem p;
      p.kind = ProblemKind::Vermagic;
      p.detail = m.vermagic();
      v.problems.push_back(std::move(p));
    }
    const bool gpl = license_is_gpl_compatible(m.first("license").value_or(""));
    for (auto& req : requirements_of(m)) {
      std::string_view name = strip_dot(req.symbol);
      auto crc_ok = [&](uint64_t crc) { return !req.versioned || crc == req.crc; };
      // Fixed providers: a matching CRC that the namespace and license rules also allow.
      bool fixed_ok = false, fixed_crc_match = false;
      std::string_view blocked_ns;
      bool blocked_gpl = false;
      std::vector<Offer> wrong_crc;
      if (auto it = fixed.find(name); it != fixed.end()) {
        for (const FixedExport* e : it->second) {
          if (!crc_ok(e->crc)) {
            wrong_crc.push_back({e->owner, e->crc});
            continue;
          }
          fixed_crc_match = true;
          if (in.check_namespaces && !e->ns.empty() && !imports_namespace(m, e->ns)) {
            blocked_ns = e->ns;
            continue;
          }
          if (in.check_licenses && !gpl && e->export_type.find("_GPL") != std::string::npos) {
            blocked_gpl = true;
            continue;
          }
          fixed_ok = true;
          break;
        }
      }
      if (fixed_ok) {
        ++v.satisfied_by_fixed;
        continue;
      }
      std::vector<size_t> offerers;
      if (auto it = offered.find(name); it != offered.end()) {
        for (const auto& o : it->second) {
          if (o.candidate == i) continue;
          if (crc_ok(o.crc)) offerers.push_back(o.candidate);
          else wrong_crc.push_back({in.candidates[o.candidate]->path, o.crc});
        }
      }
      if (!offerers.empty()) {
        std::sort(offerers.begin(), offerers.end());
        offerers.erase(std::unique(offerers.begin(), offerers.end()), offerers.end());
        size_t idx = pending.size();
        for (size_t o : offerers) pending_by_offerer[o].push_back(idx);
        pending.push_back({i, std::move(req), std::move(offerers), 0});
        pending.back().alive = pending.back().offerers.size();
        continue;
      }
      Problem p;
      p.symbol = req.symbol;
      p.crc = req.crc;
      p.versioned = req.versioned;
      if (fixed_crc_match) {
        p.kind = blocked_ns.empty() || blocked_gpl ? ProblemKind::GplOnly : ProblemKind::Namespace;
        if (p.kind == ProblemKind::Namespace) p.detail = std::string(blocked_ns);
      } else if (wrong_crc.empty()) {
        p.kind = ProblemKind::UnknownSymbol;
      } else {
        p.kind = ProblemKind::CrcMismatch;
        p.offers = std::move(wrong_crc);
      }
      v.problems.push_back(std::move(p));
    }
  }

  // The fixpoint: propagate unloadability through the pending requirements.
  std::deque<size_t> dropped;
  for (size_t i = 0; i < n; ++i)
    if (!verdicts[i].problems.empty()) {
      verdicts[i].loadable = false;
      dropped.push_back(i);
    }
  while (!dropped.empty()) {
    size_t gone = dropped.front();
    dropped.pop_front();
    for (size_t idx : pending_by_offerer[gone]) {
      Pending& pd = pending[idx];
      if (--pd.alive > 0) continue;
      ModuleVerdict& v = verdicts[pd.module];
      Problem p;
      p.kind = ProblemKind::NeedsInvalidModule;
      p.symbol = pd.req.symbol;
      p.crc = pd.req.crc;
      p.versioned = pd.req.versioned;
      for (size_t o : pd.offerers) p.offers.push_back({in.candidates[o]->path, pd.req.crc});
      v.problems.push_back(std::move(p));
      if (v.loadable) {
        v.loadable = false;
        dropped.push_back(pd.module);
      }
    }
  }
  for (const auto& pd : pending)
    if (verdicts[pd.module].loadable) ++verdicts[pd.module].satisfied_by_candidates;
  return verdicts;
}

}  // namespace kmpkit::kabi

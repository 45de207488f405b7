#include "kabi/reuse.hpp"

#include <unordered_map>
#include <unordered_set>

namespace kmpkit::kabi {

std::string strip_module_ext(std::string path) {
  for (std::string_view e : {".ko.xz", ".ko.zst", ".ko.gz", ".ko"}) {
    if (path.size() > e.size() && path.ends_with(e)) {
      path.resize(path.size() - e.size());
      break;
    }
  }
  return path;
}

std::vector<FixedExport> fixed_exports_of(const std::vector<SymversEntry>& symvers,
                                          const std::vector<const ModuleRecord*>& own) {
  std::vector<FixedExport> fixed = fixed_exports_from_symvers(symvers, true);
  // Types and namespaces of module exports come from Module.symvers (the module files do not say).
  std::unordered_map<std::string_view, const SymversEntry*> meta;
  for (const auto& e : symvers) meta[e.symbol] = &e;
  for (const ModuleRecord* m : own) {
    std::string owner = strip_module_ext(m->path);
    for (const auto& e : m->exports) {
      FixedExport f{e.name, e.crc, owner, "", ""};
      if (auto it = meta.find(e.name); it != meta.end() && it->second->crc == e.crc) {
        f.export_type = it->second->export_type;
        f.ns = it->second->ns;
      }
      fixed.push_back(std::move(f));
    }
  }
  return fixed;
}

ReuseResult choose_reusable(const ReuseInput& in) {
  const auto& cand = in.candidates;
  const auto& own = in.own;
  const size_t nc = cand.size();
  ReuseResult r;
  r.blocks.assign(nc, std::nullopt);
  std::vector<bool> chosen(nc);
  for (size_t i = 0; i < nc; ++i) chosen[i] = i < in.start.size() ? in.start[i] : true;
  std::unordered_map<std::string_view, size_t> own_by_name;
  for (size_t j = 0; j < own.size(); ++j) own_by_name.emplace(own[j]->name, j);
  // symbol → the candidates that, once chosen, decide who offers it: they export it, or the own
  // copy they replace did.
  std::unordered_map<std::string_view, std::vector<size_t>> decides;
  for (size_t i = 0; i < nc; ++i) {
    for (const auto& e : cand[i]->exports) decides[e.name].push_back(i);
    if (auto it = own_by_name.find(cand[i]->name); it != own_by_name.end())
      for (const auto& e : own[it->second]->exports) decides[e.name].push_back(i);
  }
  for (bool changed = true; changed;) {
    changed = false;
    LoadabilityInput li;
    li.fixed = in.vmlinux;
    li.kernel_vermagic = in.kernel_vermagic;
    std::unordered_set<std::string_view> replaced;
    std::vector<std::pair<bool, size_t>> origin;  // (candidate?, index)
    for (size_t i = 0; i < nc; ++i)
      if (chosen[i]) {
        li.candidates.push_back(cand[i]);
        origin.emplace_back(true, i);
        replaced.insert(cand[i]->name);
      }
    for (size_t j = 0; j < own.size(); ++j)
      if (!replaced.count(own[j]->name)) {
        li.candidates.push_back(own[j]);
        origin.emplace_back(false, j);
      }
    auto verdicts = check_loadability(li);
    for (size_t k = 0; k < verdicts.size(); ++k) {
      if (verdicts[k].loadable) continue;
      auto [is_candidate, idx] = origin[k];
      const Problem& first = verdicts[k].problems.front();
      if (is_candidate) {
        chosen[idx] = false;
        changed = true;
        std::string by = first.offers.empty() ? std::string() : first.offers.front().owner;
        r.blocks[idx] = ReuseBlock{by, first.symbol, false, first};
        continue;
      }
      // An own module that does not load: drop the candidates that decide the symbols it misses
      // (own modules broken for other reasons stay as they are).
      for (const auto& p : verdicts[k].problems) {
        if (!is_symbol_version_problem(p.kind)) continue;
        auto it = decides.find(p.symbol);
        if (it == decides.end()) continue;
        for (size_t i : it->second)
          if (chosen[i]) {
            chosen[i] = false;
            changed = true;
            r.blocks[i] = ReuseBlock{own[idx]->path, p.symbol, true, std::nullopt};
          }
      }
    }
  }
  r.reusable = chosen;
  for (size_t i = 0; i < nc; ++i)
    if (chosen[i]) r.blocks[i].reset();
  return r;
}

}  // namespace kmpkit::kabi

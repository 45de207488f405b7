#include "kabi/kabi_diff.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "kabi/vermagic.hpp"
#include "module/inventory.hpp"
#include "module/module_json.hpp"

namespace kmpkit::kabi {
namespace {

nlohmann::ordered_json entry_json(const SymversEntry& e) {
  return {{"symbol", e.symbol}, {"crc", crc_string(e.crc)}, {"module", e.module}, {"type", e.export_type},
          {"namespace", e.ns}};
}

nlohmann::ordered_json side_json(const KabiSide& s) {
  size_t vmlinux = 0;
  for (const auto& e : s.symvers) vmlinux += e.module == "vmlinux";
  return {{"label", s.label},
          {"kver", s.kver},
          {"tree", s.has_tree},
          {"module_dir", s.module_dir},
          {"symvers", s.symvers_path},
          {"modules", s.modules.size()},
          {"exports", s.symvers.size()},
          {"vmlinux_exports", vmlinux},
          {"vermagic", s.vermagic}};
}

std::string percent(size_t part, size_t whole) {
  return whole ? fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole)) : "-";
}

// The reusable set: the loadable old modules that can replace the new kernel's copies together
// (kabi/reuse.hpp).
void compute_reuse(KabiDiffResult& r, const KabiSide& o, const KabiSide& n, const std::vector<FixedExport>& vmlinux) {
  ReuseInput in;
  in.vmlinux = vmlinux;
  in.kernel_vermagic = n.vermagic;
  for (const auto& m : n.modules) in.own.push_back(&m);
  for (const auto& m : o.modules) in.candidates.push_back(&m);
  for (const auto& v : r.verdicts) in.start.push_back(v.loadable);
  auto res = choose_reusable(in);
  r.reuse_checked = true;
  r.reusable = std::move(res.reusable);
  r.reuse_blocks = std::move(res.blocks);
  r.reusable_count = 0;
  for (size_t i = 0; i < o.modules.size(); ++i) {
    r.reusable_count += r.reusable[i];
    if (r.reusable[i] || !r.verdicts[i].loadable) r.reuse_blocks[i].reset();
  }
}

}  // namespace

KabiSide load_side(const SideSpec& spec, unsigned threads, const std::function<void(size_t, size_t)>& progress) {
  KabiSide s;
  s.kver = spec.kver;
  if (!spec.kver.empty()) {
    KernelInventory inv = read_inventory(spec.basedir, spec.kver, {threads, progress});
    s.has_tree = true;
    s.module_dir = inv.tree.module_dir;
    s.modules = std::move(inv.modules);
    s.errors = std::move(inv.errors);
    s.vermagic = kernel_vermagic(s.modules, spec.kver);
    if (spec.symvers.empty()) {
      if (!inv.tree.symvers)
        throw Error(ErrorKind::Input, fmt::format(
            "no Module.symvers for {} (looked in {}, its build/ link, usr/src/linux-headers-{} and boot/): "
            "give it with --symvers-old/--symvers-new",
            spec.kver, inv.tree.module_dir, spec.kver));
      s.symvers_path = *inv.tree.symvers;
      s.symvers = std::move(inv.symvers);
    }
  }
  if (!spec.symvers.empty()) {
    s.symvers_path = spec.symvers;
    size_t bad = 0;
    auto sv = read_symvers(spec.symvers, &bad);
    if (!sv) throw Error(ErrorKind::Input, fmt::format("cannot read {}", spec.symvers));
    if (sv->empty() && bad > 0) throw Error(ErrorKind::Input, fmt::format("{} is not a Module.symvers file", spec.symvers));
    s.symvers = std::move(*sv);
  }
  s.label = !s.kver.empty() ? s.kver : s.symvers_path;
  return s;
}

KabiDiffResult kabi_diff(const KabiSide& old_side, const KabiSide& new_side) {
  KabiDiffResult r;
  r.symbols = diff_symvers(old_side.symvers, new_side.symvers);
  if (!old_side.has_tree) return r;
  r.modules_checked = true;

  LoadabilityInput in;
  if (new_side.has_tree) {
    std::vector<const ModuleRecord*> own;
    for (const auto& m : new_side.modules) own.push_back(&m);
    in.fixed = fixed_exports_of(new_side.symvers, own);
    in.kernel_vermagic = new_side.vermagic;
  } else {
    in.fixed = fixed_exports_from_symvers(new_side.symvers, false);
  }
  r.vermagic_checked = !in.kernel_vermagic.empty();
  if (r.vermagic_checked && !old_side.vermagic.empty())
    r.vermagic_equal = vermagic_flags(old_side.vermagic) == vermagic_flags(new_side.vermagic);
  for (const auto& m : old_side.modules) in.candidates.push_back(&m);
  r.verdicts = check_loadability(in);
  if (new_side.has_tree) compute_reuse(r, old_side, new_side, fixed_exports_from_symvers(new_side.symvers, true));

  std::map<std::string, SubsystemCount> groups;
  std::unordered_map<std::string, size_t> breaks;
  for (size_t i = 0; i < old_side.modules.size(); ++i) {
    const auto& v = r.verdicts[i];
    auto& g = groups[subsystem_of(old_side.modules[i].path)];
    g.modules++;
    if (v.loadable) {
      g.loadable++;
      r.loadable++;
    }
    if (r.reuse_checked && r.reusable[i]) g.reusable++;
    bool direct = false;
    for (const auto& p : v.problems) {
      if (p.kind == ProblemKind::NeedsInvalidModule) continue;
      direct = true;
      breaks[p.kind == ProblemKind::Vermagic ? std::string("(vermagic)") : p.symbol]++;
    }
    r.direct_failures += direct;
  }
  for (auto& [name, g] : groups) {
    g.subsystem = name;
    r.by_subsystem.push_back(g);
  }
  r.top_symbols.assign(breaks.begin(), breaks.end());
  std::sort(r.top_symbols.begin(), r.top_symbols.end(),
            [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  return r;
}

std::string describe_problem(const Problem& p) {
  switch (p.kind) {
    case ProblemKind::UnknownSymbol:
      return fmt::format("{}: not exported by anything", p.symbol);
    case ProblemKind::CrcMismatch: {
      std::string s = fmt::format("{}: wants CRC {}", p.symbol, crc_string(p.crc));
      for (size_t i = 0; i < p.offers.size() && i < 3; ++i)
        s += fmt::format("{} {} has {}", i ? "," : "", p.offers[i].owner, crc_string(p.offers[i].crc));
      return s;
    }
    case ProblemKind::NeedsInvalidModule: {
      std::string s = fmt::format("{}: offered only by unloadable", p.symbol);
      for (size_t i = 0; i < p.offers.size(); ++i) s += fmt::format("{} {}", i ? "," : "", p.offers[i].owner);
      return s;
    }
    case ProblemKind::Vermagic:
      return fmt::format("vermagic '{}' does not match the kernel's", p.detail);
    case ProblemKind::Namespace:
      return fmt::format("{}: exported in namespace {}, which the module does not import", p.symbol, p.detail);
    case ProblemKind::GplOnly:
      return fmt::format("{}: GPL-only export, and the module's license is not GPL-compatible", p.symbol);
  }
  return "?";
}

nlohmann::ordered_json kabi_diff_json(const KabiDiffResult& r, const KabiSide& o, const KabiSide& n) {
  using json = nlohmann::ordered_json;
  json j;
  j["schema"] = 1;
  j["old"] = side_json(o);
  j["new"] = side_json(n);
  const auto& d = r.symbols;
  json sym;
  sym["old"] = d.old_count;
  sym["new"] = d.new_count;
  sym["unchanged"] = d.unchanged;
  sym["crc_changed"] = d.crc_changed.size();
  sym["removed"] = d.removed.size();
  sym["added"] = d.added.size();
  sym["moved"] = d.moved.size();
  sym["type_changed"] = d.type_changed.size();
  json ch;
  ch["removed"] = json::array();
  for (const auto& e : d.removed) ch["removed"].push_back(entry_json(e));
  ch["added"] = json::array();
  for (const auto& e : d.added) ch["added"].push_back(entry_json(e));
  auto change = [](const SymbolChange& c) {
    return json{{"symbol", c.old_entry.symbol},         {"old_crc", crc_string(c.old_entry.crc)},
                {"new_crc", crc_string(c.new_entry.crc)}, {"old_module", c.old_entry.module},
                {"new_module", c.new_entry.module},       {"old_type", c.old_entry.export_type},
                {"new_type", c.new_entry.export_type},    {"old_namespace", c.old_entry.ns},
                {"new_namespace", c.new_entry.ns}};
  };
  for (const char* key : {"crc_changed", "moved", "type_changed"}) ch[key] = json::array();
  for (const auto& c : d.crc_changed) ch["crc_changed"].push_back(change(c));
  for (const auto& c : d.moved) ch["moved"].push_back(change(c));
  for (const auto& c : d.type_changed) ch["type_changed"].push_back(change(c));
  sym["changes"] = std::move(ch);
  j["symbols"] = std::move(sym);

  json mods;
  mods["checked"] = r.modules_checked;
  mods["vermagic_checked"] = r.vermagic_checked;
  mods["vermagic_equal"] = r.vermagic_equal;
  mods["total"] = o.modules.size();
  mods["loadable"] = r.loadable;
  mods["not_loadable"] = o.modules.size() - r.loadable;
  mods["direct_failures"] = r.direct_failures;
  mods["reuse_checked"] = r.reuse_checked;
  mods["reusable"] = r.reuse_checked ? json(r.reusable_count) : json(nullptr);
  json groups = json::array();
  for (const auto& g : r.by_subsystem)
    groups.push_back({{"subsystem", g.subsystem},
                      {"modules", g.modules},
                      {"loadable", g.loadable},
                      {"reusable", r.reuse_checked ? json(g.reusable) : json(nullptr)}});
  mods["by_subsystem"] = std::move(groups);
  json top = json::array();
  for (const auto& [s, count] : r.top_symbols) top.push_back({{"symbol", s}, {"modules", count}});
  mods["top_symbols"] = std::move(top);
  json list = json::array();
  for (size_t i = 0; i < r.verdicts.size(); ++i) {
    const auto& m = o.modules[i];
    const auto& v = r.verdicts[i];
    json problems = json::array();
    for (const auto& p : v.problems) {
      json pj{{"kind", problem_kind_name(p.kind)}};
      if (p.kind != ProblemKind::Vermagic) {
        pj["symbol"] = p.symbol;
        pj["crc"] = p.versioned ? json(crc_string(p.crc)) : json(nullptr);
      }
      if (!p.offers.empty()) {
        json offers = json::array();
        for (const auto& of : p.offers) offers.push_back({{"owner", of.owner}, {"crc", crc_string(of.crc)}});
        pj["offers"] = std::move(offers);
      }
      if (!p.detail.empty()) pj["detail"] = p.detail;
      problems.push_back(std::move(pj));
    }
    json mj{{"name", m.name},
            {"path", m.path},
            {"subsystem", subsystem_of(m.path)},
            {"loadable", v.loadable},
            {"reusable", r.reuse_checked ? json(bool(r.reusable[i])) : json(nullptr)},
            {"problems", std::move(problems)}};
    if (r.reuse_checked && r.reuse_blocks[i]) {
      const auto& b = *r.reuse_blocks[i];
      mj["reuse_blocked_by"] = {{"module", b.module}, {"symbol", b.symbol}, {"new_module", b.new_module}};
    }
    list.push_back(std::move(mj));
  }
  mods["list"] = std::move(list);
  j["modules"] = std::move(mods);
  json errors = json::array();
  for (const KabiSide* s : {&o, &n})
    for (const auto& e : s->errors) errors.push_back({{"file", e.file}, {"message", e.message}});
  j["errors"] = std::move(errors);
  return j;
}

std::string kabi_diff_text(const KabiDiffResult& r, const KabiSide& o, const KabiSide& n, bool details) {
  std::string out;
  auto line = [&out](const std::string& s) { out += s + "\n"; };
  line(fmt::format("kabi diff: {} (old) -> {} (new)", o.label, n.label));
  for (const KabiSide* s : {&o, &n}) {
    if (s->has_tree)
      line(fmt::format("  {}: {} modules in {}; {} exports in {}", s->label, s->modules.size(), s->module_dir,
                       s->symvers.size(), s->symvers_path));
    else
      line(fmt::format("  {}: {} exports (no module tree)", s->label, s->symvers.size()));
  }
  const auto& d = r.symbols;
  line(fmt::format("exported symbols: {} old, {} new", d.old_count, d.new_count));
  line(fmt::format("  unchanged CRC     {:>7}", d.unchanged));
  line(fmt::format("  changed CRC       {:>7}  ({} of the old)", d.crc_changed.size(), percent(d.crc_changed.size(), d.old_count)));
  line(fmt::format("  removed           {:>7}", d.removed.size()));
  line(fmt::format("  added             {:>7}", d.added.size()));
  line(fmt::format("  moved             {:>7}  (same CRC, another module exports it)", d.moved.size()));
  line(fmt::format("  type/ns changed   {:>7}  (EXPORT_SYMBOL <-> _GPL, or namespace)", d.type_changed.size()));
  if (details) {
    for (const auto& e : d.removed) line(fmt::format("  - {} {} ({})", e.symbol, crc_string(e.crc), e.module));
    for (const auto& e : d.added) line(fmt::format("  + {} {} ({})", e.symbol, crc_string(e.crc), e.module));
    for (const auto& c : d.crc_changed)
      line(fmt::format("  ~ {} {} -> {} ({}{})", c.old_entry.symbol, crc_string(c.old_entry.crc),
                       crc_string(c.new_entry.crc), c.old_entry.module,
                       c.old_entry.module == c.new_entry.module ? "" : " -> " + c.new_entry.module));
    for (const auto& c : d.moved)
      line(fmt::format("  > {} {} -> {}", c.old_entry.symbol, c.old_entry.module, c.new_entry.module));
    for (const auto& c : d.type_changed)
      line(fmt::format("  * {} {}{} -> {}{}", c.old_entry.symbol, c.old_entry.export_type,
                       c.old_entry.ns.empty() ? "" : " " + c.old_entry.ns, c.new_entry.export_type,
                       c.new_entry.ns.empty() ? "" : " " + c.new_entry.ns));
  }
  if (!r.modules_checked) {
    line("modules: not checked (the old side is a Module.symvers file, not a module tree)");
    return out;
  }
  if (!r.vermagic_checked)
    line("vermagic: not checked (the new side has no module tree to take its vermagic from)");
  else if (r.vermagic_equal)
    line(fmt::format("vermagic flags: equal (\"{}\")", vermagic_flags_text(n.vermagic)));
  else
    line(fmt::format("vermagic flags: differ (old \"{}\", new \"{}\")", vermagic_flags_text(o.vermagic),
                     vermagic_flags_text(n.vermagic)));
  size_t total = o.modules.size();
  line(fmt::format("modules of {} that would load into {}: {} of {} ({}); {} fail on their own, {} only through "
                   "modules that fail",
                   o.label, n.label, r.loadable, total, percent(r.loadable, total), r.direct_failures,
                   total - r.loadable - r.direct_failures));
  if (r.reuse_checked && r.reusable_count == r.loadable)
    line(fmt::format("  reusable together by {}: {} of {} (every one that loads)", n.label, r.reusable_count, total));
  else if (r.reuse_checked)
    line(fmt::format("  reusable together by {}: {} of {} ({}); {} more load, but replacing {}'s own copy with "
                     "them breaks modules that need the new CRCs of their exports (or needs such a module)",
                     n.label, r.reusable_count, total, percent(r.reusable_count, total), r.loadable - r.reusable_count,
                     n.label));
  line(fmt::format("  {:<24} {:>8} {:>9} {:>9}", "subsystem", "modules", "loadable", "reusable"));
  for (const auto& g : r.by_subsystem)
    line(fmt::format("  {:<24} {:>8} {:>9} {:>9}", g.subsystem, g.modules, g.loadable,
                     r.reuse_checked ? std::to_string(g.reusable) : "-"));
  if (!r.top_symbols.empty()) {
    line("  what stops the most modules (modules failing on it directly):");
    for (size_t i = 0; i < r.top_symbols.size() && i < 10; ++i)
      line(fmt::format("    {:<40} {:>6}", r.top_symbols[i].first, r.top_symbols[i].second));
  }
  if (details) {
    line("modules:");
    for (size_t i = 0; i < r.verdicts.size(); ++i) {
      const auto& v = r.verdicts[i];
      if (v.loadable) {
        if (r.reuse_checked && r.reuse_blocks[i]) {
          const auto& b = *r.reuse_blocks[i];
          line(fmt::format("  LOADS {}: not reusable: {} needs {} with the CRC of {}'s copy", o.modules[i].path,
                           b.module, b.symbol, b.new_module ? n.label : o.label));
        } else {
          line(fmt::format("  ok    {}", o.modules[i].path));
        }
        continue;
      }
      std::string why;
      for (size_t k = 0; k < v.problems.size(); ++k) {
        if (k == 5) {
          why += fmt::format("; ... ({} more)", v.problems.size() - k);
          break;
        }
        why += (k ? "; " : "") + describe_problem(v.problems[k]);
      }
      line(fmt::format("  FAIL  {}: {}", o.modules[i].path, why));
    }
  } else {
    line("(--details lists every changed symbol and every module's verdict; --json gives all of it)");
  }
  return out;
}

}  // namespace kmpkit::kabi

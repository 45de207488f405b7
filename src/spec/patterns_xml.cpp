#include "spec/patterns_xml.hpp"

#include <fmt/format.h>

namespace kmpkit::spec {
namespace {

// A nested pattern ("pattern() = x_y") becomes the pattern solvable pattern:x-y.
std::string entry(const std::string& dep, const package::PackagePlan& plan) {
  const std::string prefix = "pattern() = ";
  if (dep.rfind(prefix, 0) == 0) {
    std::string name = dep.substr(prefix.size());
    for (const auto& p : plan.patterns)
      if (package::pattern_provide_name(p.pattern) == name) name = p.pattern;
    return fmt::format("      <rpm:entry kind=\"pattern\" name=\"{}\"/>\n", xml_escape(name));
  }
  return fmt::format("      <rpm:entry name=\"{}\"/>\n", xml_escape(dep));
}

std::string dep_block(const char* tag, const std::vector<std::string>& deps, const package::PackagePlan& plan) {
  if (deps.empty()) return {};
  std::string s = fmt::format("    <rpm:{}>\n", tag);
  for (const auto& d : deps) s += entry(d, plan);
  return s + fmt::format("    </rpm:{}>\n", tag);
}

// Finds the value of a "pattern-x() = value" provide, %XX-decoded.
std::string provide_value(const package::PlannedPackage& p, const std::string& key) {
  for (const auto& v : p.provides) {
    if (v.rfind(key + " = ", 0) != 0) continue;
    std::string enc = v.substr(key.size() + 3), out;
    for (size_t i = 0; i < enc.size(); ++i) {
      if (enc[i] == '%' && i + 2 < enc.size()) {
        out += static_cast<char>(std::stoi(enc.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        out += enc[i];
      }
    }
    return out;
  }
  return {};
}

}  // namespace

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string patterns_xml(const package::PackagePlan& plan) {
  std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += fmt::format(
      "<patterns xmlns=\"http://novell.com/package/metadata/suse/pattern\" "
      "xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" count=\"{}\">\n",
      plan.patterns.size());
  for (const auto& p : plan.patterns) {
    s += "  <pattern>\n";
    s += fmt::format("    <name>{}</name>\n", xml_escape(p.pattern));
    s += "    <arch>noarch</arch>\n";
    s += fmt::format("    <version epoch=\"0\" ver=\"{}\" rel=\"{}\"/>\n", xml_escape(plan.version),
                     xml_escape(plan.release));
    s += fmt::format("    <summary lang=\"en\">{}</summary>\n", xml_escape(p.summary));
    s += fmt::format("    <description lang=\"en\">{}</description>\n", xml_escape(p.description));
    bool visible = false;
    for (const auto& v : p.provides) visible |= v == "pattern-visible()";
    if (visible) s += "    <uservisible/>\n";
    if (auto c = provide_value(p, "pattern-category()"); !c.empty())
      s += fmt::format("    <category lang=\"en\">{}</category>\n", xml_escape(c));
    if (auto i = provide_value(p, "pattern-icon()"); !i.empty()) s += fmt::format("    <icon>{}</icon>\n", xml_escape(i));
    if (auto o = provide_value(p, "pattern-order()"); !o.empty()) s += fmt::format("    <order>{}</order>\n", xml_escape(o));
    std::vector<std::string> req{p.name};
    req.insert(req.end(), p.requires_.begin(), p.requires_.end());
    s += dep_block("requires", req, plan);
    s += dep_block("recommends", p.recommends, plan);
    s += dep_block("suggests", p.suggests, plan);
    s += "  </pattern>\n";
  }
  s += "</patterns>\n";
  return s;
}

}  // namespace kmpkit::spec

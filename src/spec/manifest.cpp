#include "spec/manifest.hpp"

#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "spec/spec_text.hpp"
#include "util/error.hpp"
#include "util/json_integer.hpp"

namespace kmpkit::spec {

size_t SplitManifest::packages() const {
  size_t n = 0;
  for (const auto& s : specs) n += s.packages.size();
  return n;
}

void write_manifest(const std::string& dir, const SplitManifest& m) {
  nlohmann::ordered_json j;
  j["format"] = 1;
  j["kmpkit"] = m.kmpkit_version;
  j["kver"] = m.kver;
  j["flavor"] = m.flavor;
  j["version"] = m.version;
  j["release"] = m.release;
  j["root"] = m.root;
  j["kernel_package"] = m.kernel_package;
  j["jobs"] = m.jobs;
  j["patterns_xml"] = m.patterns_xml;
  j["scheme"] = m.scheme;
  j["kmps_not_built"] = m.kmps_not_built;
  j["packages"] = m.packages();
  auto specs = nlohmann::ordered_json::array();
  for (const auto& s : m.specs)
    specs.push_back({{"file", s.file}, {"packages", s.packages}, {"module_files", s.module_files}, {"bytes", s.bytes}});
  j["specs"] = std::move(specs);
  write_file(dir + "/" + kManifestName, j.dump(1) + "\n");
}

SplitManifest read_manifest(const std::string& dir) {
  std::string file = dir + "/" + kManifestName;
  std::ifstream in(file);
  if (!in) throw Error(ErrorKind::Input, fmt::format("{}: no {} (run kmpkit split --out {} first)", dir, kManifestName, dir));
  try {
    auto j = nlohmann::json::parse(in);
    SplitManifest m;
    m.kmpkit_version = j.value("kmpkit", "");
    m.kver = j.at("kver").get<std::string>();
    m.flavor = j.value("flavor", "");
    m.version = j.value("version", "");
    m.release = j.value("release", "");
    m.root = j.value("root", "");
    m.kernel_package = j.value("kernel_package", "");
    m.jobs = json_integer_or(j, "jobs", 0u);
    m.patterns_xml = j.value("patterns_xml", "");
    m.scheme = j.value("scheme", "kernel-version");
    m.kmps_not_built = j.value("kmps_not_built", std::vector<std::string>{});
    for (const auto& s : j.at("specs"))
      m.specs.push_back({s.at("file").get<std::string>(), s.at("packages").get<std::vector<std::string>>(),
                         json_integer_or(s, "module_files", size_t{0}), json_integer_or(s, "bytes", uint64_t{0})});
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Input, fmt::format("{}: not a kmpkit split manifest ({}); run kmpkit split again", file, e.what()));
  } catch (const JsonIntegerError& e) {
    throw Error(ErrorKind::Input, fmt::format("{}: not a kmpkit split manifest ({}); run kmpkit split again", file, e.what()));
  }
}

}  // namespace kmpkit::spec

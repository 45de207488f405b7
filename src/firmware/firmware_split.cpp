#include "firmware/firmware_split.hpp"

#include <chrono>

#include "firmware/firmware_spec.hpp"
#include "spec/spec_text.hpp"

namespace kmpkit::firmware {

FirmwareSplitResult run_firmware_split(const FirmwareSplitRequest& r) {
  auto t0 = std::chrono::steady_clock::now();
  FirmwareSplitResult res;
  res.requests = read_driver_requests(r.kernel_root, r.kver, r.threads, r.progress);
  res.tree = read_firmware_tree(r.firmware_roots);
  res.plan = plan_firmware_packages(res.tree, res.requests, {r.kver, r.version, r.release});
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!r.out_dir.empty()) {
    res.manifest = write_firmware_spec(res.plan, res.tree, {r.out_dir, "w9.zstdio", 0});
    spec::write_file(r.out_dir + "/" + kFirmwareReport, firmware_report_json(res).dump(1) + "\n");
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

nlohmann::ordered_json firmware_report_json(const FirmwareSplitResult& res) {
  const auto& tree = res.tree;
  const auto& plan = res.plan;
  nlohmann::ordered_json j;
  j["kver"] = plan.kver;
  auto sources = nlohmann::ordered_json::array();
  for (const auto& s : tree.sources) {
    nlohmann::ordered_json o;
    o["root"] = s.root;
    o["firmware_dir"] = s.firmware_dir;
    o["name"] = s.name;
    o["version"] = s.version;
    o["release"] = s.release;
    o["whence"] = s.whence;
    o["copyright"] = s.copyright_file;
    o["files"] = s.files;
    o["links"] = s.links;
    if (s.whence) {
      o["whence_missing"] = s.whence_missing;
      o["not_in_whence"] = s.not_in_whence;
    }
    sources.push_back(std::move(o));
  }
  j["sources"] = std::move(sources);
  j["drivers"] = {{"modules", res.requests.modules},
                  {"with_firmware", res.requests.drivers},
                  {"firmware_lines", res.requests.lines},
                  {"builtin_with_firmware", res.requests.builtin_drivers},
                  {"unreadable", res.requests.errors.size()}};
  auto packages = nlohmann::ordered_json::array();
  uint64_t total = 0;
  for (const auto& p : plan.packages) {
    nlohmann::ordered_json o;
    o["name"] = p.name;
    o["version"] = p.version;
    o["release"] = p.release;
    o["license"] = p.licence;
    o["drivers"] = p.drivers;
    o["unclaimed"] = p.unclaimed;
    o["bytes"] = p.bytes;
    auto files = nlohmann::ordered_json::array();
    for (size_t i : p.entries) {
      const auto& e = tree.entries[i];
      nlohmann::ordered_json f = {{"path", "/lib/firmware/" + e.path}, {"name", e.name}};
      if (e.link) f["link"] = e.link_target;
      else f["bytes"] = e.bytes;
      files.push_back(std::move(f));
    }
    o["files"] = std::move(files);
    o["provides"] = p.provides;
    o["license_files"] = p.licence_files;
    total += p.bytes;
    packages.push_back(std::move(o));
  }
  j["packages"] = std::move(packages);
  j["bytes"] = total;
  std::vector<std::string> unclaimed;
  for (size_t i : plan.unclaimed) unclaimed.push_back("/lib/firmware/" + tree.entries[i].path);
  j["unclaimed"] = {{"count", unclaimed.size()}, {"files", unclaimed}};
  j["requested"] = {{"names", plan.requested},
                    {"provided", plan.requested_present},
                    {"absent", plan.requested_absent.size()},
                    {"globs", res.requests.globs.size()}};
  j["requested_absent"] = plan.requested_absent;
  j["not_provided"] = plan.not_provided;
  std::vector<std::string> problems = tree.problems;
  problems.insert(problems.end(), plan.problems.begin(), plan.problems.end());
  j["problems"] = problems;
  j["written"] = !res.manifest.specs.empty() || !res.manifest.kver.empty();
  j["seconds"] = res.seconds;
  return j;
}

}  // namespace kmpkit::firmware

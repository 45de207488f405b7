#include "initrd/initrd_record.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "module/kernel_files.hpp"
#include "util/json_integer.hpp"

namespace fs = std::filesystem;

namespace kmpkit::initrd {

std::string InitrdPaths::in_root(const std::string& path) const {
  if (root.empty() || root == "/") return path;
  std::string r = root;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r + path;
}

std::string module_name_of(const std::string& path) {
  std::string base = fs::path(path).filename().string();
  std::string name = base.substr(0, base.find(".ko"));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

std::optional<InitrdRecord> read_record(const std::string& file) {
  auto text = read_file(file);
  if (!text) return std::nullopt;
  return parse_record(*text);
}

std::optional<InitrdRecord> parse_record(std::string_view text) {
  try {
    auto j = nlohmann::json::parse(text);
    InitrdRecord r;
    r.image = j.at("image").get<std::string>();
    r.image_size = json_integer<uint64_t>(j.at("image_size"));
    r.image_mtime_ns = json_integer<int64_t>(j.at("image_mtime_ns"));
    r.modules = j.at("modules").get<std::vector<std::string>>();
    r.dracut_modules = j.at("dracut_modules").get<std::vector<std::string>>();
    for (const auto& m : j.at("installed")) {
      r.installed.push_back(
          {m.at(0).get<std::string>(), m.at(1).get<std::string>(), json_integer<uint64_t>(m.at(2)), json_integer<int64_t>(m.at(3))});
    }
    if (j.contains("firmware")) {
      r.has_firmware = true;
      for (const auto& f : j.at("firmware"))
        r.firmware.push_back({f.at(0).get<std::string>(), f.at(1).get<std::string>(), f.at(2).get<std::string>(),
                              json_integer<uint64_t>(f.at(3)), json_integer<int64_t>(f.at(4))});
    }
    return r;
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged record counts as none: the initrd is then made again
  }
}

bool write_record(const std::string& file, const InitrdRecord& r) {
  nlohmann::ordered_json j;
  j["format"] = 1;
  j["image"] = r.image;
  j["image_size"] = r.image_size;
  j["image_mtime_ns"] = r.image_mtime_ns;
  j["modules"] = r.modules;
  j["dracut_modules"] = r.dracut_modules;
  auto installed = nlohmann::ordered_json::array();
  for (const auto& m : r.installed) installed.push_back({m.name, m.path, m.size, m.mtime_ns});
  j["installed"] = std::move(installed);
  auto firmware = nlohmann::ordered_json::array();
  for (const auto& f : r.firmware) firmware.push_back({f.module, f.name, f.path, f.size, f.mtime_ns});
  j["firmware"] = std::move(firmware);
  std::error_code ec;
  fs::create_directories(fs::path(file).parent_path(), ec);
  std::string tmp = file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(1) << '\n';
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      return false;
    }
  }
  fs::rename(tmp, file, ec);
  return !ec;
}

std::optional<std::vector<ModuleFile>> installed_modules(const InitrdPaths& paths) {
  const std::string dir = paths.in_root(paths.module_dir());
  std::ifstream in(dir + "/modules.dep");
  if (!in) return std::nullopt;
  std::vector<ModuleFile> out;
  for (std::string line; std::getline(in, line);) {
    auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0) continue;
    ModuleFile m;
    m.path = line.substr(0, colon);
    m.name = module_name_of(m.path);
    std::string file = m.path[0] == '/' ? paths.in_root(m.path) : dir + "/" + m.path;
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0) {  // weak-updates links: the identity of the target
      m.size = static_cast<uint64_t>(st.st_size);
      m.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    }
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const ModuleFile& a, const ModuleFile& b) { return a.name < b.name; });
  return out;
}

std::vector<std::string> installed_kernels(const std::string& root) {
  InitrdPaths p{root, ""};
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(p.in_root("/lib/modules"), ec)) {
    std::string kver = e.path().filename().string();
    if (fs::exists(e.path() / "vmlinuz", ec)) out.push_back(kver);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace kmpkit::initrd

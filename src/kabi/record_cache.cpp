#include "kabi/record_cache.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <unordered_map>

#include <fmt/format.h>

#include "kabi/record_cache_format.hpp"
#include "module/kernel_files.hpp"

namespace fs = std::filesystem;

namespace kmpkit::kabi {
namespace {

constexpr unsigned kParts = kReadVersions | kReadExports | kReadDependencySymbols;

// path → record; empty when the file is missing or not a cache of this directory.
std::unordered_map<std::string, CachedRecord> load(const std::string& cache_file, const std::string& module_dir) {
  auto text = read_file(cache_file);
  if (!text) return {};
  return parse_record_cache(*text, module_dir);
}

void save(const std::string& cache_file, const std::string& text) {
  std::error_code ec;
  fs::create_directories(fs::path(cache_file).parent_path(), ec);
  std::string tmp = cache_file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return;
    out << text;
    out.flush();
    if (!out) {
      ::unlink(tmp.c_str());
      return;
    }
  }
  fs::rename(tmp, cache_file, ec);
  if (ec) ::unlink(tmp.c_str());
}


}  // namespace

std::string record_cache_path(const std::string& root, const std::string& kver) {
  return (root == "/" ? std::string() : root) + "/var/cache/kmpkit/weak-updates/" + kver;
}

CachedScan read_with_cache(const std::vector<WalkedFile>& files, const std::string& module_dir,
                           const std::string& cache_file, unsigned threads) {
  CachedScan out;
  auto cache = cache_file.empty() ? std::unordered_map<std::string, CachedRecord>{} : load(cache_file, module_dir);
  std::vector<std::string> to_read;
  std::vector<std::optional<ModuleRecord>> slots(files.size());
  std::vector<size_t> read_slot;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    auto it = cache.find(relative_path(f.path, module_dir));
    if (it != cache.end() && it->second.id == f.identity()) {
      ModuleRecord m = std::move(it->second.record);
      m.file = f.path;
      m.size = f.size;
      m.mtime_ns = f.mtime_ns;
      m.inode = f.inode;
      slots[i] = std::move(m);
      out.reused++;
    } else {
      to_read.push_back(f.path);
      read_slot.push_back(i);
    }
  }
  if (!to_read.empty()) {
    TreeScan scan = read_modules(to_read, module_dir, threads, {}, kParts);
    out.read = to_read.size();
    out.errors = std::move(scan.errors);
    // read_modules keeps the order of the readable files: match them back by file name.
    size_t k = 0;
    for (auto& m : scan.modules) {
      while (k < to_read.size() && to_read[k] != m.file) ++k;
      if (k < to_read.size()) slots[read_slot[k++]] = std::move(m);
    }
  }
  bool rewrite = !cache_file.empty() && (out.read > 0 || cache.size() != out.reused);
  std::string text = rewrite ? record_cache_header(module_dir) : std::string();
  for (size_t i = 0; i < files.size(); ++i)
    if (slots[i]) {
      if (rewrite) append_record(text, files[i].identity(), *slots[i]);
      out.modules.push_back(std::move(*slots[i]));
    }
  if (rewrite) save(cache_file, text);
  return out;
}

}  // namespace kmpkit::kabi

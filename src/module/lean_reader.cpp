#include "module/lean_reader.hpp"

#include <sys/stat.h>

#include "module/elf_modinfo.hpp"
#include "module/elf_symbols.hpp"
#include "module/module_image.hpp"

namespace kmpkit {

std::optional<ModuleRecord> parse_module_lean(std::string_view bytes, unsigned parts) {
  if (parts & ~(kReadVersions | kReadExports | kReadDependencySymbols | kReadLeanFirst)) return std::nullopt;
  auto sections = elf64le_sections(bytes);
  if (!sections) return std::nullopt;
  ModuleRecord rec;
  auto modinfo = elf_modinfo(bytes);
  if (!modinfo || modinfo->empty()) return std::nullopt;
  rec.modinfo = std::move(*modinfo);
  if (parts & kReadVersions) {
    auto versions = elf_versions(*sections);
    if (!versions) return std::nullopt;
    rec.versions = std::move(*versions);
  }
  if (parts & kReadExports) {
    auto exports = elf_exports(*sections);
    if (!exports) return std::nullopt;
    rec.exports = std::move(*exports);
  }
  if (parts & kReadDependencySymbols) {
    auto symbols = elf_dependency_symbols(*sections);
    if (!symbols) return std::nullopt;
    rec.dependency_symbols = std::move(*symbols);
  }
  rec.is_signed = has_appended_signature(bytes);
  return rec;
}

std::optional<ModuleRecord> read_module_lean(const std::string& file, unsigned parts) {
  if (parts & ~(kReadVersions | kReadExports | kReadDependencySymbols | kReadLeanFirst)) return std::nullopt;
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  auto image = read_module_image(file);
  if (!image) return std::nullopt;
  auto rec = parse_module_lean(image->bytes(), parts);
  if (!rec) return std::nullopt;
  rec->file = file;
  rec->path = file;
  rec->name = module_name_from_path(file);
  rec->size = static_cast<uint64_t>(st.st_size);
  rec->mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  rec->inode = st.st_ino;
  return rec;
}

std::optional<std::vector<ModuleRecord>> read_modules_lean(const std::vector<std::string>& files, unsigned parts) {
  std::vector<ModuleRecord> out;
  out.reserve(files.size());
  for (const auto& f : files) {
    auto rec = read_module_lean(f, parts);
    if (!rec) return std::nullopt;
    out.push_back(std::move(*rec));
  }
  return out;
}

}  // namespace kmpkit

#include "module/module_reader.hpp"

#include <fcntl.h>
#include <libkmod.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "module/elf_modinfo.hpp"
#include "module/lean_reader.hpp"

namespace kmpkit {
namespace {

// What the first bytes of a file say it is, to turn libkmod's errno into a useful message.
std::string describe_unreadable(const std::string& file, int err) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  unsigned char magic[6] = {};
  ssize_t got = fd >= 0 ? ::read(fd, magic, sizeof magic) : -1;
  if (fd >= 0) ::close(fd);
  if (got == 0) return "empty file, not a kernel module";
  if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
    return "gzip-compressed module: this libkmod (like Debian's depmod) cannot read .ko.gz; "
           "recompress it with xz or zstd";
  if (got >= 6 && std::memcmp(magic, "\xFD" "7zXZ\0", 6) == 0)
    return fmt::format("corrupt or truncated xz-compressed module ({})", std::strerror(err));
  if (got >= 4 && std::memcmp(magic, "\x28\xB5\x2F\xFD", 4) == 0)
    return fmt::format("corrupt or truncated zstd-compressed module ({})", std::strerror(err));
  if (got >= 4 && std::memcmp(magic, "\x7F" "ELF", 4) == 0) {
    if (got >= 5 && magic[4] != 2)
      return "ELF file of the wrong class (32-bit), not a 64-bit kernel module";
    return fmt::format("truncated or malformed ELF module ({})", std::strerror(err));
  }
  return fmt::format("not a kernel module: no ELF, xz or zstd header ({})", std::strerror(err));
}


// Keys libkmod appends to modinfo for an appended signature (kmod_module_get_info).
bool is_signature_key(std::string_view key) {
  return key == "sig_id" || key == "signer" || key == "sig_key" || key == "sig_hashalgo" ||
         key == "signature";
}

// modinfo and signature details through libkmod (what modinfo(8) prints); <0 is -errno.
int read_modinfo_with_kmod(kmod_module* mod, ModuleRecord& rec) {
  kmod_list* list = nullptr;
  int err = kmod_module_get_info(mod, &list);
  if (err < 0) return err;
  for (kmod_list* it = list; it; it = kmod_list_next(list, it)) {
    std::string key = kmod_module_info_get_key(it);
    const char* value = kmod_module_info_get_value(it);
    if (is_signature_key(key)) {
      rec.is_signed = true;
      if (key == "signer") rec.signer = value ? value : "";
      else if (key == "sig_key") rec.sig_key = value ? value : "";
      else if (key == "sig_hashalgo") rec.sig_hashalgo = value ? value : "";
      continue;
    }
    rec.modinfo.push_back({std::move(key), value ? value : ""});
  }
  kmod_module_info_free_list(list);
  return 0;
}

// The fast path for uncompressed modules (see elf_modinfo.hpp). False: use libkmod instead.
bool read_plain_modinfo(const std::string& file, ModuleRecord& rec) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  void* map = MAP_FAILED;
  if (::fstat(fd, &st) == 0 && st.st_size > 0)
    map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return false;
  std::string_view bytes(static_cast<const char*>(map), static_cast<size_t>(st.st_size));
  auto fields = elf_modinfo(bytes);
  bool ok = fields.has_value();
  if (ok) {
    rec.modinfo = std::move(*fields);
    rec.is_signed = has_appended_signature(bytes);
  }
  ::munmap(map, static_cast<size_t>(st.st_size));
  return ok;
}

}  // namespace

std::string relative_path(const std::string& file, const std::string& module_dir) {
  if (module_dir.empty()) return file;
  std::string dir = module_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (file.size() > dir.size() + 1 && file.compare(0, dir.size(), dir) == 0 && file[dir.size()] == '/')
    return file.substr(dir.size() + 1);
  return file;
}

ModuleReader::ModuleReader() {
  // No module directory and no configuration: we only read files, never resolve names.
  static const char* const no_config[] = {nullptr};
  ctx_ = kmod_new("/nonexistent", no_config);
  if (ctx_) kmod_set_log_priority(ctx_, 0);
}

ModuleReader::~ModuleReader() {
  if (ctx_) kmod_unref(ctx_);
}

ReadResult ModuleReader::read(const std::string& file, const std::string& module_dir, unsigned parts) const {
  if (!ctx_) return ReadError{file, "could not create a libkmod context"};
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    return ReadError{file, fmt::format("cannot open: {}", std::strerror(errno))};
  if (!S_ISREG(st.st_mode)) return ReadError{file, "not a regular file"};
  if (std::string_view(file).ends_with(".ko.gz")) return ReadError{file, describe_unreadable(file, EINVAL)};

  kmod_module* mod = nullptr;
  int err = kmod_module_new_from_path(ctx_, file.c_str(), &mod);
  if (err < 0) return ReadError{file, fmt::format("libkmod cannot open it: {}", std::strerror(-err))};
  struct Unref {
    kmod_module* m;
    ~Unref() { kmod_module_unref(m); }
  } unref{mod};

  ModuleRecord rec;
  rec.file = file;
  rec.path = relative_path(file, module_dir);
  rec.name = kmod_module_get_name(mod);
  rec.size = static_cast<uint64_t>(st.st_size);
  rec.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  rec.inode = st.st_ino;

  if (!(parts & kReadSignature) && read_plain_modinfo(file, rec)) {
    // modinfo read without libkmod's signature decoding; the rest below still uses libkmod.
  } else if (int e = read_modinfo_with_kmod(mod, rec); e < 0) {
    return ReadError{file, describe_unreadable(file, -e)};
  }

  kmod_list* list = nullptr;

  err = (parts & kReadVersions) ? kmod_module_get_versions(mod, &list) : 0;
  if (err < 0 && err != -ENOENT) return ReadError{file, describe_unreadable(file, -err)};
  for (kmod_list* it = list; it; it = kmod_list_next(list, it))
    rec.versions.push_back({kmod_module_version_get_symbol(it), kmod_module_version_get_crc(it), false});
  kmod_module_versions_free_list(list);

  list = nullptr;
  err = (parts & kReadExports) ? kmod_module_get_symbols(mod, &list) : 0;
  if (err < 0 && err != -ENOENT) return ReadError{file, describe_unreadable(file, -err)};
  for (kmod_list* it = list; it; it = kmod_list_next(list, it))
    rec.exports.push_back({kmod_module_symbol_get_symbol(it), kmod_module_symbol_get_crc(it)});
  kmod_module_symbols_free_list(list);

  list = nullptr;
  err = (parts & kReadDependencySymbols) ? kmod_module_get_dependency_symbols(mod, &list) : 0;
  if (err < 0 && err != -ENOENT) return ReadError{file, describe_unreadable(file, -err)};
  for (kmod_list* it = list; it; it = kmod_list_next(list, it))
    rec.dependency_symbols.push_back({kmod_module_dependency_symbol_get_symbol(it),
                                      kmod_module_dependency_symbol_get_crc(it),
                                      kmod_module_dependency_symbol_get_bind(it) == KMOD_SYMBOL_WEAK});
  kmod_module_dependency_symbols_free_list(list);

  // kbuild always writes .modinfo (vermagic, name); libkmod tolerates its absence, we do not.
  if (rec.modinfo.empty()) return ReadError{file, "ELF file without a .modinfo section: not a kernel module"};
  return rec;
}

TreeScan read_modules(const std::vector<std::string>& files, const std::string& module_dir,
                      unsigned threads, const std::function<void(size_t, size_t)>& progress, unsigned parts) {
  // Default: every core, up to kDefaultMaxReaderThreads (each thread keeps its decoders and buffers).
  if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1u, kDefaultMaxReaderThreads);
  threads = std::min<unsigned>(threads, std::max<size_t>(1, files.size()));
  std::vector<std::optional<ReadResult>> results(files.size());
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex mu;
  std::condition_variable cv;

  // Each thread claims the next file; results land in the file's slot, so the output order never
  // depends on which thread finished first.
  auto work = [&] {
    std::optional<ModuleReader> reader;  // a libkmod context only when a file needs it
    for (size_t i; (i = next.fetch_add(1)) < files.size();) {
      std::optional<ModuleRecord> lean;
      if (parts & kReadLeanFirst) lean = read_module_lean(files[i], parts);
      if (lean) {
        lean->path = relative_path(files[i], module_dir);
        results[i] = std::move(*lean);
      } else {
        if (!reader) reader.emplace();
        results[i] = reader->read(files[i], module_dir, parts & ~kReadLeanFirst);
      }
      if (done.fetch_add(1) + 1 == files.size()) {
        std::lock_guard lock(mu);
        cv.notify_all();
      }
    }
  };
  std::vector<std::jthread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work);
  if (progress) {
    std::unique_lock lock(mu);
    while (!cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return done.load() == files.size(); }))
      progress(done.load(), files.size());
  }
  for (auto& t : pool) t.join();
  if (progress) progress(files.size(), files.size());

  TreeScan scan;
  scan.modules.reserve(files.size());
  for (auto& r : results) {
    if (auto* rec = std::get_if<ModuleRecord>(&*r)) scan.modules.push_back(std::move(*rec));
    else scan.errors.push_back(std::get<ReadError>(std::move(*r)));
  }
  return scan;
}

}  // namespace kmpkit

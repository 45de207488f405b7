#pragma once
// Reads kernel module files with libkmod, the code depmod and modinfo use, so compressed
// modules (.ko.xz, .ko.zst) and every ELF detail are handled exactly as kmod does.
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "module/module_record.hpp"

struct kmod_ctx;

namespace kmpkit {

struct ReadError {
  std::string file;     // the file that could not be read
  std::string message;  // what went wrong, for a human
};

using ReadResult = std::variant<ModuleRecord, ReadError>;

// Which parts of a module to read; callers that need less read faster (modinfo is always read).
enum ReadParts : unsigned {
  kReadModinfo = 0,
  kReadVersions = 1u << 0,            // __versions
  kReadExports = 1u << 1,             // exported symbols
  kReadDependencySymbols = 1u << 2,   // depmod's dependency symbols
  kReadSignature = 1u << 3,           // signer, key, hash algorithm (without it: only whether signed)
  kReadAll = kReadVersions | kReadExports | kReadDependencySymbols | kReadSignature,
  // Not a part: read_modules reads each file with the lean reader (lean_reader.hpp: no libkmod,
  // in-memory decompression, about a third less CPU on xz) and hands to libkmod only what the lean
  // reader refuses, so errors are libkmod's. Its is_signed is the appended marker only.
  kReadLeanFirst = 1u << 4,
};

// One reader per thread: it owns a libkmod context, which is not thread-safe.
class ModuleReader {
 public:
  ModuleReader();
  ~ModuleReader();
  ModuleReader(const ModuleReader&) = delete;
  ModuleReader& operator=(const ModuleReader&) = delete;

  // Reads one module. `module_dir` (lib/modules/KVER) makes the record's `path` relative to it;
  // a file outside it keeps its absolute path.
  ReadResult read(const std::string& file, const std::string& module_dir = {}, unsigned parts = kReadAll) const;

 private:
  kmod_ctx* ctx_ = nullptr;
};

// `file` relative to `module_dir` when it lies inside it, else `file` as given.
std::string relative_path(const std::string& file, const std::string& module_dir);

struct TreeScan {
  std::vector<ModuleRecord> modules;  // in the order of the input file list
  std::vector<ReadError> errors;
};

inline constexpr unsigned kDefaultMaxReaderThreads = 16;

// Reads many modules on `threads` threads (0 = the cores, at most kDefaultMaxReaderThreads; never
// more than files). Order is preserved: each result lands in its file's slot.
// `progress`, when set, is called from the calling thread now and then with (done, total).
TreeScan read_modules(const std::vector<std::string>& files, const std::string& module_dir,
                      unsigned threads = 0,
                      const std::function<void(size_t, size_t)>& progress = {}, unsigned parts = kReadAll);

}  // namespace kmpkit

// The lean module reader (kmpkit-depgen's fast path, src/module): zstd/xz decompression in memory,
// the ELF section table, .modinfo, __versions, the __crc_ symbols and __ksymtab_strings; then the
// dependency generator's four kinds over the record, as rpm's fileattrs would run them.
#include "depgen/depgen.hpp"
#include "fuzz_input.hpp"
#include "module/lean_reader.hpp"
#include "module/module_image.hpp"

using namespace kmpkit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::as_text(data, size);
  std::optional<std::string> plain = decompress_module(in);
  std::string_view elf = plain ? std::string_view(*plain) : in;
  auto record = parse_module_lean(elf, kReadVersions | kReadExports);
  if (!record) return 0;
  record->name = "fuzzed";
  record->path = record->file = "kernel/drivers/fuzzed.ko";
  depgen::PackageFiles package;
  package.modules.push_back(std::move(*record));
  depgen::DepgenOptions options;
  for (auto kind : {depgen::DepKind::Provides, depgen::DepKind::Requires, depgen::DepKind::Supplements,
                    depgen::DepKind::Recommends})
    depgen::generate_dependencies(package, kind, options);
  return 0;
}

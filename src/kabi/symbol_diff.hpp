#pragma once
// The difference between two kernels' exported symbols (Module.symvers: vmlinux and modules).
#include <cstddef>
#include <vector>

#include "module/kernel_files.hpp"

namespace kmpkit::kabi {

struct SymbolChange {
  SymversEntry old_entry;
  SymversEntry new_entry;
};

struct SymbolDiff {
  size_t old_count = 0;   // distinct symbols
  size_t new_count = 0;
  size_t unchanged = 0;   // same CRC (owner, type and namespace may still have changed)
  std::vector<SymversEntry> added;            // sorted by symbol
  std::vector<SymversEntry> removed;
  std::vector<SymbolChange> crc_changed;
  std::vector<SymbolChange> moved;            // same CRC, exported by another module now
  std::vector<SymbolChange> type_changed;     // export type or namespace changed (any CRC)
};

// A symbol listed twice in one file counts once (the last line wins, as in depmod).
SymbolDiff diff_symvers(const std::vector<SymversEntry>& old_symvers, const std::vector<SymversEntry>& new_symvers);

}  // namespace kmpkit::kabi

#pragma once
// Debian's real tools as test oracles: what modinfo and modprobe say about a module file.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "test_env.hpp"

namespace kmpkit::test {

// `modinfo -F FIELD FILE`, one entry per output line (empty when the field is absent).
std::vector<std::string> modinfo_field(const std::string& file, const std::string& field);
// `modprobe --dump-modversions FILE` as (symbol, crc).
std::vector<std::pair<std::string, uint64_t>> dump_modversions(const std::string& file);
// The same for many files in one shell (fast for thousands of modules): result[i] for files[i].
std::vector<std::vector<std::string>> modinfo_field_many(const std::vector<std::string>& files,
                                                         const std::string& field);
std::vector<std::vector<std::pair<std::string, uint64_t>>> dump_modversions_many(
    const std::vector<std::string>& files);

}  // namespace kmpkit::test

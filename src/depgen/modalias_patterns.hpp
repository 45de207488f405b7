#pragma once
// Turning module aliases into rpm `Supplements: modalias(kernel-<flavor>:...)` patterns, the SUSE
// way: keep device aliases, %XX-encode, sort, merge near-identical lines into [..] classes.
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit::depgen {

// True for aliases that name a device: at least one character before and after some ':'.
bool is_device_alias(std::string_view alias);

// Every character outside [*:a-zA-Z0-9] written as %XX (upper-case hex), as libzypp decodes it.
std::string encode_modalias(std::string_view alias);

// Merges sorted, unique patterns: a run starts at a line and absorbs each following line that
// differs from the run's first line at exactly one position (the same for the whole run), where
// neither character is '*' and the position is not inside a %XX escape (libzypp decodes escapes
// before fnmatch, so a class there would break them). The class lists characters in order met.
std::vector<std::string> merge_patterns(const std::vector<std::string>& sorted_unique);

}  // namespace kmpkit::depgen

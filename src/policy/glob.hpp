#pragma once
// Globs of the policy: path globs over module paths (relative to lib/modules/KVER) and name globs
// over module names.
#include <string_view>

namespace kmpkit::policy {

// Path glob: '*' and '?' never match '/', "**" matches any run of characters including '/'
// ("a/**/b" also matches "a/b"), "[...]" is a character class ('!' or '^' negates).
// A module path matches when it matches as given or without its compression suffix
// (.xz/.zst/.gz), so "kernel/fs/ext4/*.ko" selects ext4.ko.xz too.
bool path_glob_match(std::string_view pattern, std::string_view path);

// Name glob over module names (fnmatch without FNM_PATHNAME); '-' in the pattern counts as '_',
// as module names do.
bool name_glob_match(std::string_view pattern, std::string_view module_name);

// True when the string contains glob characters.
bool has_glob_chars(std::string_view s);

// The path without its compression suffix (.xz/.zst/.gz), as path globs compare it.
std::string_view strip_compression(std::string_view path);

}  // namespace kmpkit::policy

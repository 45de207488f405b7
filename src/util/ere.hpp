#pragma once
// POSIX extended regular expressions as depmod (depmod.d version patterns) and bash (dkms.conf's
// =~ in DKMS: MAKE_MATCH, BUILD_EXCLUSIVE_*) match them: glibc's regcomp/regexec, with limits.
// glibc compiles "(a{1,1000}){1,1000}" (19 bytes) for minutes and overflows its stack on 30000
// nested parentheses; std::regex (used before for dkms.conf) overflows its stack on those too and
// backtracks for minutes over "(.*)*(.*)*(.*)*(.*)*(.*)*(.*)*x" against a kernel release. Found
// reading the parsers for fuzz/fuzz_depmod_config.cpp and fuzz/fuzz_dkms_variables.cpp
// (docs/hardening.md); the inputs are their crash-* seeds.
#include <string>

namespace kmpkit {

// False when a pattern is longer than 1024 bytes, nests parentheses deeper than 32, or its
// repetition counts ({m,n}) multiply past 1000: no version or kernel pattern needs that much.
bool ere_within_limits(const std::string& pattern);

// True when `pattern` matches somewhere in `text`; false for a pattern that does not compile or is
// beyond the limits above (bash's =~ is false for a pattern it cannot compile; depmod skips it).
bool ere_search(const std::string& pattern, const std::string& text);

}  // namespace kmpkit

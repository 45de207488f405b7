#pragma once
// "Did you mean ...?": the closest of some known names to one that matches nothing, by edit
// distance (a module name in a policy, an --only glob, a package a pattern names).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit {

// Optimal string alignment distance: inserting, deleting or replacing a character, or swapping two
// neighbouring ones, costs 1 each.
size_t edit_distance(std::string_view a, std::string_view b);

// How far a name may be from a known one to count as a misspelling of it: 0 up to 3 characters
// (short names are a character away from many others), 1 up to 7, 2 beyond.
size_t typo_distance(std::string_view name);

// The known name closest to `name` within typo_distance(name), the first of equals in `known`;
// nullopt when none is that close (or `name` itself is known).
std::optional<std::string> nearest_name(std::string_view name, const std::vector<std::string>& known);

}  // namespace kmpkit

#pragma once
// A policy's selectors against one kernel. Packagers keep one policy across kernel updates and
// flavors, so an entry (a path glob or a module name) that picks no module file of this kernel is
// told apart (docs/policy.md, "Kernels that differ"):
// - built in (modules.builtin): present, nothing to package; a note;
// - close to a module or built-in name of this kernel: a typo; an error with the suggestion;
// - neither: removed or renamed upstream, or not in this configuration; a warning, an error under
//   --strict.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "module/inventory.hpp"
#include "policy/policy.hpp"

namespace kmpkit::package {

enum class Fit {
  Modules,  // picks module files
  BuiltIn,  // picks no module file, but modules this kernel has built in
  Typo,     // picks nothing, but is close to a name (or path) this kernel has
  Missing,  // picks nothing and is close to nothing
};

struct EntryFit {
  std::string entry;                 // as written in the policy
  bool path = false;                 // a path glob (else a module name)
  Fit fit = Fit::Modules;
  std::vector<std::string> builtin;  // BuiltIn: the built-in modules it names
  std::string suggestion;            // Typo: the name or path it is close to
  bool suggestion_builtin = false;   // Typo: that name is built in
};

// Where the messages of a check go: problems stop the plan; warnings and built-in notes do not.
struct FitMessages {
  bool strict = false;  // a Missing entry is a problem, not a warning
  std::vector<std::string>* problems = nullptr;
  std::vector<std::string>* warnings = nullptr;
  std::vector<std::string>* builtin = nullptr;
  std::string source;  // the policy file: messages about its entries start "file:line:col: "
};

class SelectorFit {
 public:
  SelectorFit(const KernelInventory& inventory, FitMessages messages);

  // The module indices (sorted) `selector` picks. Every entry that picks no module file is reported
  // at its position in the policy (else at `fallback`) under `what` ("pattern \"x\" requires");
  // `builtin_meaning` says what a built-in entry comes to there ("nothing to package").
  // *names_builtin: some entry names built-in modules. *picked_at: for each index returned, the
  // position of the first entry that picked it.
  std::vector<size_t> select(const policy::Selector& selector, const std::string& what,
                             std::string_view builtin_meaning, bool* names_builtin = nullptr,
                             policy::Position fallback = {}, std::vector<policy::Position>* picked_at = nullptr);

  // What a module name glob that picks no module file is (never Fit::Modules).
  EntryFit unmatched_name(std::string_view glob) const;
  // What a path glob that picks no module file is (never Fit::Modules).
  EntryFit unmatched_path(std::string_view glob) const;
  // Reports one unmatched entry (a note, a warning or a problem by its fit).
  void report(const EntryFit& entry, const std::string& what, std::string_view builtin_meaning);

  const std::string& kver() const { return inv_.tree.kver; }

 private:
  bool is_builtin(std::string_view name) const;

  const KernelInventory& inv_;
  FitMessages out_;
  std::vector<std::string> builtin_names_;  // from modules.builtin, in its order
  std::vector<std::string> builtin_paths_;  // the same modules' paths
  std::vector<std::string> known_names_;    // module and built-in names: typo candidates
  // Each directory of the tree (relative, "" = the top) → the names in it, module files without a
  // compression suffix, built-in modules' paths included: typo candidates for paths.
  std::map<std::string, std::vector<std::string>, std::less<>> entries_;
};

}  // namespace kmpkit::package

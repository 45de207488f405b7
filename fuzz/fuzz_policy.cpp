// The packaging policy (src/policy/policy.cpp): TOML text → the checked policy, every problem
// with its position; then each selector's globs against a few real module paths and names.
#include "fuzz_input.hpp"
#include "policy/glob.hpp"
#include "policy/policy.hpp"

using namespace kmpkit;

namespace {

void match_selector(const policy::Selector& s) {
  static const char* const paths[] = {"kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko",
                                      "kernel/fs/ext4/ext4.ko.xz", "updates/dkms/vpoll.ko.zst"};
  for (const auto& p : s.paths)
    for (const char* path : paths) policy::path_glob_match(p, path);
  for (const auto& m : s.modules) policy::name_glob_match(m, "snd_hda_intel");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto result = policy::load_policy_string(std::string(fuzz::as_text(data, size)), "fuzz.toml");
  if (!result.partial) return 0;
  const policy::Policy& p = *result.partial;
  match_selector(p.keep);
  match_selector(p.kernel_recommends);
  for (const auto& set : p.sets) {
    match_selector(set.select);
    match_selector(set.exclude);
    policy::expand_template(policy::kabi_name_template(set.name), {"amd64", "6.1.0-57-amd64", "6.1.0", "m", "p", "k"});
  }
  return 0;
}

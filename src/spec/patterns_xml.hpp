#pragma once
// The legacy rpm-md patterns.xml (published with `modifyrepo_c --mdtype=patterns`): Debian's
// libsolv is built without SUSE support, so pattern packages alone do not show up as patterns
// there; with this file `zypper patterns` and `zypper in -t pattern NAME` work.
#include <string>

#include "package/plan.hpp"

namespace kmpkit::spec {

// One <pattern> per pattern of the plan. Each requires its pattern package (the record of the
// install in the rpm database) and, like it, its members.
std::string patterns_xml(const package::PackagePlan& plan);

std::string xml_escape(std::string_view s);

}  // namespace kmpkit::spec

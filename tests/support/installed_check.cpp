#include "installed_check.hpp"

#include <cstring>

// libsolv's Solvable has a member named `requires`, a C++20 keyword: renamed for this file.
#define requires solv_requires_
extern "C" {
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repo_rpmdb.h>
}
#undef requires

namespace kmpkit::test {

InstalledCheck check_installed(const std::string& root) {
  InstalledCheck r;
  Pool* pool = pool_create();
  pool_set_rootdir(pool, root.c_str());
  Repo* repo = repo_create(pool, "@System");
  if (repo_add_rpmdb(repo, nullptr, REPO_USE_ROOTDIR) != 0) {
    r.error = pool_errstr(pool);
    pool_free(pool);
    return r;
  }
  pool_set_installed(pool, repo);
  pool_addfileprovides(pool);
  pool_createwhatprovides(pool);
  Id p;
  Solvable* s;
  FOR_REPO_SOLVABLES(repo, p, s) {
    ++r.packages;
    if (!s->solv_requires_) continue;
    for (Id* dp = repo->idarraydata + s->solv_requires_; *dp; ++dp) {
      Id dep = *dp;
      if (dep == SOLVABLE_PREREQMARKER) continue;
      const char* text = pool_dep2str(pool, dep);
      if (std::strncmp(text, "rpmlib(", 7) == 0) continue;
      ++r.requires_checked;
      // An offset into whatprovidesdata; a list starting with 0 is empty.
      Id providers = pool_whatprovides(pool, dep);
      if (!pool->whatprovidesdata[providers]) r.unsatisfied.push_back({pool_solvable2str(pool, s), text});
    }
  }
  pool_free(pool);
  return r;
}

}  // namespace kmpkit::test
